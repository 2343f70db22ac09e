"""Free text in the API as in the browser: NFKC, hidden characters refused on the field that holds them.

The services normalise and refuse too; doing it at the serializer gives an API caller the same field error a
browser user gets (`fields.lesion_type`: "Contains an invisible or direction-changing character (U+200B ZERO WIDTH
SPACE) at position 5 ...") before anything else is looked at.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from dermreview.common.text import TextRefused, normalise_text
from dermreview.drafting.models.fields import FINDING_FIELD_SPECS


class NormalisedCharField(serializers.CharField):
    """A CharField whose value is NFKC-normalised; a hidden character is a validation error on the field."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return normalise_text(value, field=self.field_name or "", multiline=self.multiline)
        except TextRefused as exc:
            raise serializers.ValidationError(exc.message, code="hidden_character") from None


class NormalisedFindingFieldsSerializer(serializers.Serializer):
    """The six fields of a finding as input: names, order and limits from the one definition of the fields (as
    `common.FindingFieldsSerializer`), each normalised. The lesion type must name a diagnosis class (the review
    service checks it against the clinic's vocabulary: an unknown one is an error on `fields.lesion_type`)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {spec.name: NormalisedCharField(max_length=spec.max_length, allow_blank=True, multiline=spec.multiline)
                for spec in FINDING_FIELD_SPECS}


class _MultilineNormalisedCharField(NormalisedCharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(multiline=True, **kwargs)


class NormalisedTextModelSerializerMixin:
    """Put first in the bases of a ModelSerializer: the fields it builds for CharField and TextField columns are
    normalised (a TextField keeps its line breaks), a hidden character reported on the field before its other
    validators run."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: NormalisedCharField,
        models.TextField: _MultilineNormalisedCharField,
    }
