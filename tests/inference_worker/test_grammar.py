"""The schema and json grammars: built from the profile, compiled by xgrammar for the tiny model's tokenizer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from inference_worker.grammar import finding_grammar, json_object_grammar
from inference_worker.profile import PromptProfile, load_profile

FINDING = {
    "lesion_type": "melanoma",
    "color": "dark brown",
    "symmetry": "asymmetric",
    "borders": "irregular",
    "texture": "smooth",
    "summary": "An asymmetric dark brown macule with irregular borders.",
}
CARD = load_profile("card")
UNSLOTH = load_profile("unsloth")
SPACED = dataclasses.replace(CARD, layout="spaced")


def _with_keys(keys: dict[str, str], finding: dict[str, Any] | None = None) -> dict[str, Any]:
    values = finding or FINDING
    return {keys.get(field, field): value for field, value in values.items()}


def test_grammar_is_plain_text_naming_every_spelling_in_order() -> None:
    text = finding_grammar(CARD)
    assert text.startswith('root ::= "{" ws_open member_lesion_type "," ws_item member_color')
    for keys in CARD.keys:
        for spelling in keys.spellings:
            assert f'"\\"{spelling}\\""' in text
    assert "list ::=" not in text and "list ::=" in finding_grammar(UNSLOTH)
    # No length limits and no unbounded whitespace: only the character repetition of a string value.
    assert "{" not in text.replace('"{"', "") and "[ \\t\\n" not in text
    assert "newline" in text and "newline" not in finding_grammar(UNSLOTH)


@pytest.fixture(scope="module")
def compiler(tiny_model_dir: Path) -> Any:
    xgrammar = pytest.importorskip("xgrammar")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    return xgrammar.GrammarCompiler(xgrammar.TokenizerInfo.from_huggingface(tokenizer))


def _accepts(compiler: Any, grammar: str, text: str) -> bool:
    import xgrammar

    matcher = xgrammar.GrammarMatcher(compiler.compile_grammar(grammar))
    return matcher.accept_string(text) and matcher.is_completed()


ALIASES = {"lesion_type": "Lesion Type", "color": "Colour", "borders": "border", "summary": "Clinical Summary"}


@pytest.mark.parametrize(
    ("profile", "text"),
    [
        (CARD, json.dumps(FINDING)),
        (CARD, json.dumps(FINDING, separators=(",", ":"))),
        (CARD, json.dumps(_with_keys(ALIASES), indent=2)),
        (CARD, json.dumps(FINDING, indent=4)),
        (CARD, json.dumps(FINDING, indent="\t")),
        (CARD, json.dumps({**FINDING, "summary": 'A "raised" n\u00e9vus,\nback\\slash \u2014 \x7f'})),
        (CARD, json.dumps({**FINDING, "summary": "A n\u00e9vus, \U0001f50d"}, ensure_ascii=False)),
        (CARD, json.dumps({**FINDING, "summary": "x" * 5000})),  # no length limit in the grammar
        (SPACED, "{ " + json.dumps(_with_keys({"lesion_type": "lesionType"}))[1:-1] + " }"),
        (UNSLOTH, json.dumps(_with_keys(ALIASES))),
        (UNSLOTH, json.dumps({**FINDING, "color": ["brown", "black"]}, separators=(",", ":"))),
    ],
    ids=["card-default", "card-compact", "card-aliases-indent-2", "card-indent-4", "card-tabs", "card-escapes",
         "card-unescaped-unicode", "card-over-long", "spaced", "unsloth-aliases", "unsloth-list"],
)
def test_grammar_accepts_findings_in_the_profile_layout(compiler: Any, profile: PromptProfile, text: str) -> None:
    assert _accepts(compiler, finding_grammar(profile), text), text


@pytest.mark.parametrize(
    ("profile", "text"),
    [
        (CARD, json.dumps(_with_keys({"lesion_type": "diagnosis"}))),
        (CARD, json.dumps(_with_keys({"color": "hue"}))),
        (CARD, json.dumps(dict(reversed(FINDING.items())))),
        (CARD, json.dumps({k: v for k, v in FINDING.items() if k != "texture"})),
        (CARD, json.dumps({**FINDING, "diagnosis": "melanoma"})),
        (CARD, json.dumps({**FINDING, "texture": ""})),
        (CARD, json.dumps({**FINDING, "texture": 3})),
        (CARD, json.dumps({**FINDING, "color": ["brown", "black"]})),  # list_values = false
        (CARD, json.dumps(FINDING).replace('"smooth"', '"smo\\x"')),  # not a JSON escape
        (CARD, json.dumps(FINDING).replace('"smooth"', '"smo\tth"')),  # a raw control character
        (CARD, json.dumps(FINDING, indent=17)),  # beyond the bounded indent
        (CARD, "   " + json.dumps(FINDING)),
        (CARD, json.dumps(FINDING).replace(", ", ",  ")),
        (UNSLOTH, json.dumps(FINDING, indent=2)),  # compact: no line breaks
        (UNSLOTH, "{ " + json.dumps(FINDING)[1:]),  # compact: no blank inside the braces
        (UNSLOTH, json.dumps({**FINDING, "color": []})),
    ],
    ids=["wrong-key", "unknown-alias", "wrong-order", "missing-field", "extra-field", "empty-value", "number",
         "list-not-allowed", "bad-escape", "raw-tab", "deep-indent", "leading-blanks", "double-blank",
         "compact-newlines", "compact-inner-blank", "empty-list"],
)
def test_grammar_rejects_what_the_profile_does_not_allow(compiler: Any, profile: PromptProfile, text: str) -> None:
    assert not _accepts(compiler, finding_grammar(profile), text), text


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        (json.dumps({"diagnosis": ["a", 1, -2.5e3, True, None, {}], "nested": {"": ""}}), True),
        (json.dumps(FINDING, indent=2), True),
        ("{}", True),
        ("[1, 2]", False),  # an object, not any JSON value
        ('"text"', False),
        ('{"a":' + " " * 40 + '"b"}', False),  # whitespace stays bounded
    ],
)
def test_grammar_json_object_grammar(compiler: Any, text: str, accepted: bool) -> None:
    assert _accepts(compiler, json_object_grammar(CARD), text) is accepted
