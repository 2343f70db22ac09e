"""Parsing model replies into findings, and the failure kinds reported when that is impossible."""

from __future__ import annotations

import json

import pytest

from inference_worker.parse import ParseFailure, parse_reply
from inference_worker.profile import load_profile, profile_from_dict
from inference_worker.schema import (
    FINDING_FIELDS,
    SHORT_FIELD_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    Finding,
    finding_json_schema,
)
from inference_worker.types import FailureKind

VALID = {
    "lesion_type": "papule",
    "color": "dark brown",
    "symmetry": "asymmetric",
    "borders": "irregular",
    "texture": "smooth",
    "summary": "A dark brown asymmetric papule with irregular borders.",
}


def _failure(reply: str, *, hit_token_limit: bool = False) -> ParseFailure:
    outcome = parse_reply(reply, hit_token_limit=hit_token_limit)
    assert isinstance(outcome, ParseFailure), outcome
    assert outcome.raw_text == reply
    return outcome


def test_parse_valid_json_gives_finding() -> None:
    finding = parse_reply(json.dumps(VALID), hit_token_limit=False)
    assert isinstance(finding, Finding)
    assert finding.model_dump() == VALID


def test_parse_valid_json_at_token_limit_is_still_accepted() -> None:
    # The closing brace can be the very last token allowed.
    assert isinstance(parse_reply(json.dumps(VALID), hit_token_limit=True), Finding)


@pytest.mark.parametrize(
    "reply",
    [
        "```json\n" + json.dumps(VALID, indent=2) + "\n```",
        "```\n" + json.dumps(VALID) + "\n```",
        "Here is the description:\n" + json.dumps(VALID) + "\nLet me know if you need more.",
    ],
    ids=["json-fence", "bare-fence", "prose-around"],
)
def test_parse_tolerates_fence_and_prose(reply: str) -> None:
    finding = parse_reply(reply, hit_token_limit=False)
    assert isinstance(finding, Finding)
    assert finding.lesion_type == "papule"


def test_parse_takes_first_object_after_a_stray_brace() -> None:
    reply = "Using {braces} loosely, the answer is " + json.dumps(VALID)
    assert isinstance(parse_reply(reply, hit_token_limit=False), Finding)


def test_parse_cut_off_reply_at_token_limit_is_truncated() -> None:
    reply = json.dumps(VALID)[:70]
    assert _failure(reply, hit_token_limit=True).kind is FailureKind.TRUNCATED


def test_parse_cut_off_reply_without_token_limit_is_unparseable() -> None:
    reply = json.dumps(VALID)[:70]
    assert _failure(reply).kind is FailureKind.UNPARSEABLE


def test_parse_prose_reply_is_unparseable() -> None:
    failure = _failure("The lesion is a brown papule with irregular borders.")
    assert failure.kind is FailureKind.UNPARSEABLE
    assert "no JSON object" in failure.message


def test_parse_json_array_is_schema_invalid() -> None:
    assert _failure(json.dumps([VALID["summary"]])).kind is FailureKind.SCHEMA_INVALID


@pytest.mark.parametrize("reply", ["", "   \n\t  "])
def test_parse_empty_reply_is_empty(reply: str) -> None:
    assert _failure(reply).kind is FailureKind.EMPTY


def test_parse_extra_key_is_schema_invalid() -> None:
    failure = _failure(json.dumps({**VALID, "diagnosis": "melanoma"}))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert "diagnosis" in failure.message


def test_parse_missing_key_is_schema_invalid() -> None:
    reply = {key: value for key, value in VALID.items() if key != "borders"}
    failure = _failure(json.dumps(reply))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert "borders" in failure.message
    assert "Field required" in failure.message


@pytest.mark.parametrize("bad_value", [3, None, ["brown", 3], [["brown"]], {"hue": "brown"}, True])
def test_parse_wrong_type_is_schema_invalid(bad_value: object) -> None:
    failure = _failure(json.dumps({**VALID, "color": bad_value}))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert failure.message.startswith("color:")


@pytest.mark.parametrize(
    ("field", "length"),
    [("texture", SHORT_FIELD_MAX_CHARS + 1), ("summary", SUMMARY_MAX_CHARS + 1)],
)
def test_parse_over_long_value_is_schema_invalid(field: str, length: int) -> None:
    failure = _failure(json.dumps({**VALID, field: "x" * length}))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert field in failure.message
    assert "at most" in failure.message


def test_parse_value_of_only_blanks_is_schema_invalid() -> None:
    failure = _failure(json.dumps({**VALID, "symmetry": " \u200b\t "}))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert "symmetry" in failure.message


def test_parse_strips_control_characters() -> None:
    reply = json.dumps(
        {
            **VALID,
            "color": "dark\x00 brown\x1b[31m\u200b",
            "borders": "irregular,\nnotched\tedges",
            "summary": "First line.\r\n\r\n\r\n\r\nSecond\x07 line\u202e.",
        }
    )
    finding = parse_reply(reply, hit_token_limit=False)
    assert isinstance(finding, Finding)
    assert finding.color == "dark brown[31m"
    assert finding.borders == "irregular, notched edges"
    assert finding.summary == "First line.\n\nSecond line."


def test_schema_lists_the_six_fields_in_order() -> None:
    schema = finding_json_schema()
    assert FINDING_FIELDS == ("lesion_type", "color", "symmetry", "borders", "texture", "summary")
    assert tuple(schema["properties"]) == FINDING_FIELDS
    assert schema["required"] == list(FINDING_FIELDS)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["summary"]["maxLength"] == SUMMARY_MAX_CHARS
    assert all(prop["type"] == "string" for prop in schema["properties"].values())


@pytest.mark.parametrize(
    "keys",
    [
        ["Lesion Type", "Colour", "Symmetry", "Borders", "Texture", "Summary"],
        ["lesionType", "color", "symmetry", "border", "texture", "summary"],
        ["LESION-TYPE", "colours", "SYMMETRY", "borders", "Texture", "clinicalSummary"],
        ["lesion type", "Color", "symmetry", "Border", "texture", "Clinical Summary"],
    ],
    ids=["title-case", "camel-case", "shouting-hyphens", "spaces"],
)
def test_parse_accepts_alias_and_differently_cased_keys(keys: list[str]) -> None:
    reply = json.dumps(dict(zip(keys, VALID.values(), strict=True)), indent=2)
    finding = parse_reply(reply, hit_token_limit=False)
    assert isinstance(finding, Finding), finding
    assert finding.model_dump() == VALID


def test_parse_joins_lists_of_strings() -> None:
    reply = {**VALID, "color": ["dark brown", "black"], "summary": ["First.", "Second."]}
    finding = parse_reply(json.dumps(reply), hit_token_limit=False)
    assert isinstance(finding, Finding), finding
    assert (finding.color, finding.summary) == ("dark brown; black", "First.; Second.")


def test_parse_empty_list_is_schema_invalid() -> None:
    failure = _failure(json.dumps({**VALID, "texture": []}))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert failure.message.startswith("texture:")


def test_parse_keeps_escaped_characters_inside_values() -> None:
    # As a model writes them: an escaped quote, backslash, newline and a \u escape.
    written = r'a \"raised\" n\u00e9vus,\nback\\slash'
    reply = json.dumps({**VALID, "lesion_type": "X", "summary": "Y"}).replace('"X"', f'"{written}"')
    reply = reply.replace('"Y"', f'"{written}"')
    finding = parse_reply(reply, hit_token_limit=False)
    assert isinstance(finding, Finding), finding
    assert finding.lesion_type == 'a "raised" n\u00e9vus, back\\slash'  # one line: the newline is a blank
    assert finding.summary == 'a "raised" n\u00e9vus,\nback\\slash'


def test_parse_field_given_twice_under_two_spellings_is_schema_invalid() -> None:
    failure = _failure(json.dumps({**VALID, "Colour": "black"}))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert failure.message == "color: given twice, as 'color' and 'Colour'"


def test_parse_unknown_key_is_schema_invalid_even_beside_aliases() -> None:
    reply = {"Lesion Type": "nevus", **{k: v for k, v in VALID.items() if k != "lesion_type"}, "Diagnosis": "x"}
    failure = _failure(json.dumps(reply))
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert failure.message == "Diagnosis: Extra inputs are not permitted"


def test_parse_over_long_value_under_an_alias_keeps_the_raw_text() -> None:
    reply = json.dumps({**VALID, "Texture": "y" * (SHORT_FIELD_MAX_CHARS + 1)}).replace('"texture"', '"Texture"')
    reply = reply.replace('"Texture": "smooth", ', "")
    failure = _failure(reply)
    assert failure.kind is FailureKind.SCHEMA_INVALID
    assert failure.message.startswith("texture:") and "at most" in failure.message
    assert failure.raw_text == reply


def test_parse_uses_the_aliases_of_the_profile_it_is_given() -> None:
    data = {
        "name": "terse", "version": "1", "description": "", "image_position": "after", "layout": "compact",
        "list_values": False, "max_visual_tokens": 64, "order": list(FINDING_FIELDS),
        "instruction": "Keys: type, hue, symmetry, borders, texture, summary.",
        "keys": {name: {"write": name} for name in FINDING_FIELDS} | {
            "lesion_type": {"write": "type"}, "color": {"write": "hue"}},
    }
    terse = profile_from_dict(data)
    reply = json.dumps({**VALID, "hue": "brown"}).replace('"color": "dark brown", ', "")
    reply = reply.replace('"lesion_type"', '"type"')
    finding = parse_reply(reply, hit_token_limit=False, profile=terse)
    assert isinstance(finding, Finding) and (finding.lesion_type, finding.color) == ("papule", "brown")
    # The default profile does not know "hue".
    assert "type: Extra inputs are not permitted" in _failure(reply).message
    assert load_profile().field_for_key("hue") is None
