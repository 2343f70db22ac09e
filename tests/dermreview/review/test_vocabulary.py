"""One vocabulary: every place that holds or shows a finding follows `inference_worker.fields`.

The model columns, the review forms, the API serializer, the sign-off rules, the exports, the model card and the
worker's JSON schema must name the same six fields in the same order, with the same labels and limits, so that
whatever the model may write can be shown, corrected and signed, and nothing a reviewer signs is cut short.
"""

from __future__ import annotations

import pytest
from django import forms
from django.db import models

from dermreview.api.serializers.common import FindingFieldsSerializer
from dermreview.api.serializers.text import NormalisedFindingFieldsSerializer
from dermreview.drafting.models import FINDING_FIELDS, Draft
from dermreview.drafting.models import fields as model_fields
from dermreview.oversight.selectors import model_card
from dermreview.review import forms as review_forms
from dermreview.review.errors import ReviewInvalid
from dermreview.review.models import BlindFinding, Review
from dermreview.review.services import rules
from inference_worker import fields as vocabulary
from inference_worker.fields import FINDING_FIELD_SPECS, FieldSpec
from inference_worker.schema import finding_json_schema

SPECS = {spec.name: spec for spec in FINDING_FIELD_SPECS}
FORMS = [review_forms.BlindFindingForm, review_forms.ReviewSignForm, review_forms.AmendForm]


def test_vocabulary_names_the_six_fields_in_order():
    assert FINDING_FIELDS == ("lesion_type", "color", "symmetry", "borders", "texture", "summary")
    assert FINDING_FIELDS is vocabulary.FINDING_FIELDS
    assert [name for name, spec in SPECS.items() if spec.multiline] == ["summary"]


def test_vocabulary_labels_are_british_and_shared():
    assert vocabulary.FIELD_LABELS["color"] == "Colour"
    # Derived, not re-typed: every module that labels fields holds the one mapping.
    for module in (model_fields, review_forms, model_card):
        assert module.FIELD_LABELS is vocabulary.FIELD_LABELS, module.__name__
    assert rules.FIELD_MAX_LENGTH is vocabulary.FIELD_MAX_LENGTH


@pytest.mark.parametrize("model", [Draft, BlindFinding, Review])
def test_vocabulary_model_columns_follow_the_spec(model: type[models.Model]):
    columns = [f for f in model._meta.get_fields() if f.name in SPECS]
    assert tuple(f.name for f in columns) == FINDING_FIELDS
    for column in columns:
        spec = SPECS[column.name]
        assert column.max_length == spec.max_length, column.name
        assert isinstance(column, models.TextField) is spec.multiline, column.name


@pytest.mark.parametrize("form_class", FORMS)
def test_vocabulary_form_fields_follow_the_spec(form_class: type[forms.Form]):
    form = form_class()
    assert tuple(name for name in form.fields if name in SPECS) == FINDING_FIELDS
    for name, spec in SPECS.items():
        field = form.fields[name]
        assert (field.max_length, field.label) == (spec.max_length, spec.label), name
        assert isinstance(field.widget, forms.Textarea) is spec.multiline, name


def test_vocabulary_serializer_fields_follow_the_spec():
    serializer_fields = FindingFieldsSerializer().fields
    assert tuple(serializer_fields) == FINDING_FIELDS
    assert {name: f.max_length for name, f in serializer_fields.items()} == vocabulary.FIELD_MAX_LENGTH


def test_vocabulary_worker_schema_allows_what_the_database_stores():
    properties = finding_json_schema()["properties"]
    assert tuple(properties) == FINDING_FIELDS
    for name, prop in properties.items():
        assert prop["maxLength"] == Draft._meta.get_field(name).max_length == SPECS[name].max_length, name


def _finding(**overrides: str) -> dict[str, str]:
    return {name: "x" for name in FINDING_FIELDS} | overrides


@pytest.mark.parametrize("spec", FINDING_FIELD_SPECS, ids=lambda spec: spec.name)
def test_vocabulary_every_layer_accepts_the_limit_and_rejects_one_more(spec: FieldSpec):
    at_limit, over = "a" * spec.max_length, "a" * (spec.max_length + 1)
    assert rules.clean_finding_fields(_finding(**{spec.name: at_limit}))[spec.name] == at_limit
    with pytest.raises(ReviewInvalid) as caught:
        rules.clean_finding_fields(_finding(**{spec.name: over}))
    assert set(caught.value.errors) == {spec.name}

    assert FindingFieldsSerializer(data=_finding(**{spec.name: at_limit})).is_valid()
    serializer = FindingFieldsSerializer(data=_finding(**{spec.name: over}))
    assert not serializer.is_valid() and set(serializer.errors) == {spec.name}

    assert review_forms.BlindFindingForm(data=_finding(**{spec.name: at_limit})).is_valid()
    form = review_forms.BlindFindingForm(data=_finding(**{spec.name: over}))
    assert not form.is_valid() and set(form.errors) == {spec.name}


def test_vocabulary_keeps_line_breaks_only_in_multiline_fields():
    cleaned = rules.clean_finding_fields(_finding(borders="irregular,\n notched", summary="One.\n\nTwo."))
    assert cleaned["borders"] == "irregular, notched"
    assert cleaned["summary"] == "One.\n\nTwo."


@pytest.mark.parametrize("spec", FINDING_FIELD_SPECS, ids=lambda spec: spec.name)
def test_vocabulary_every_layer_refuses_a_hidden_character_in_every_field(spec: FieldSpec):
    hidden = _finding(**{spec.name: "x\u200by"})
    with pytest.raises(ReviewInvalid) as caught:
        rules.clean_finding_fields(hidden)
    assert set(caught.value.errors) == {spec.name} and "U+200B" in caught.value.errors[spec.name]

    serializer = NormalisedFindingFieldsSerializer(data=hidden)
    assert not serializer.is_valid() and set(serializer.errors) == {spec.name}
    assert NormalisedFindingFieldsSerializer(data=_finding(**{spec.name: "a" * spec.max_length})).is_valid()

    form = review_forms.BlindFindingForm(data=hidden)
    assert not form.is_valid() and set(form.errors) == {spec.name}
