"""The one definition of the finding fields, and the worker's `Finding` and JSON schema built from it."""

from __future__ import annotations

import dataclasses
import json

import pytest

from inference_worker import FINDING_FIELDS as PACKAGE_FINDING_FIELDS
from inference_worker import ParseFailure, parse_reply
from inference_worker.fields import (
    FIELD_LABELS,
    FIELD_MAX_LENGTH,
    FINDING_FIELD_SPECS,
    FINDING_FIELDS,
    FieldSpec,
    field_spec,
)
from inference_worker.profile import available_profiles, load_profile
from inference_worker.schema import Finding, finding_json_schema

VALID = {name: "x" for name in FINDING_FIELDS}


def test_fields_are_the_six_in_order_with_british_labels() -> None:
    assert FINDING_FIELDS == ("lesion_type", "color", "symmetry", "borders", "texture", "summary")
    assert PACKAGE_FINDING_FIELDS is FINDING_FIELDS
    assert list(FIELD_LABELS.values()) == ["Lesion type", "Colour", "Symmetry", "Borders", "Texture", "Summary"]
    assert list(FIELD_LABELS) == list(FIELD_MAX_LENGTH) == list(FINDING_FIELDS)


def test_fields_specs_are_frozen_and_looked_up_by_name() -> None:
    spec = field_spec("summary")
    assert spec.multiline and spec.max_length > field_spec("lesion_type").max_length
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.max_length = 1  # type: ignore[misc]
    with pytest.raises(KeyError):
        field_spec("diagnosis")


def test_fields_finding_model_declares_exactly_the_specs() -> None:
    assert tuple(Finding.model_fields) == FINDING_FIELDS


@pytest.mark.parametrize("spec", FINDING_FIELD_SPECS, ids=lambda spec: spec.name)
def test_fields_schema_property_follows_its_spec(spec: FieldSpec) -> None:
    schema = finding_json_schema()
    assert schema["required"] == list(FINDING_FIELDS)
    prop = schema["properties"][spec.name]
    assert (prop["maxLength"], prop["minLength"], prop["description"]) == (spec.max_length, 1, spec.description)


@pytest.mark.parametrize("spec", FINDING_FIELD_SPECS, ids=lambda spec: spec.name)
def test_fields_parser_accepts_the_limit_and_rejects_one_more(spec: FieldSpec) -> None:
    at_limit = parse_reply(json.dumps({**VALID, spec.name: "a" * spec.max_length}), hit_token_limit=False)
    assert isinstance(at_limit, Finding) and len(getattr(at_limit, spec.name)) == spec.max_length
    over = parse_reply(json.dumps({**VALID, spec.name: "a" * (spec.max_length + 1)}), hit_token_limit=False)
    assert isinstance(over, ParseFailure) and spec.name in over.message


def test_fields_line_breaks_survive_only_in_multiline_fields() -> None:
    finding = Finding(**{name: "first\nsecond" for name in FINDING_FIELDS})
    for spec in FINDING_FIELD_SPECS:
        assert getattr(finding, spec.name) == ("first\nsecond" if spec.multiline else "first second"), spec.name


@pytest.mark.parametrize("name", available_profiles())
def test_fields_every_builtin_prompt_asks_for_the_six_fields_in_order(name: str) -> None:
    profile = load_profile(name)
    text = profile.instruction
    positions = [text.index(keys.write) for keys in profile.keys]
    assert positions == sorted(positions)
    assert profile.order == FINDING_FIELDS


def test_fields_lesion_type_is_the_clinical_classification_as_a_suggestion() -> None:
    description = field_spec("lesion_type").description
    assert "clinical classification" in description.lower() and "melanoma" in description
    assert "suggestion" in description and "not a diagnosis" in description
    assert finding_json_schema()["properties"]["lesion_type"]["description"] == description
