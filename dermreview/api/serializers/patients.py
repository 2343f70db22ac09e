"""Patients: a clinic's pseudonymous reference and the optional details that stratify the model's figures."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dermreview.api.serializers.text import NormalisedTextModelSerializerMixin
from dermreview.cases.models import FitzpatrickType, Patient, Sex


class PatientSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    lesion_count = serializers.IntegerField(read_only=True, help_text="Lesions followed for this patient.")
    # Empty when not recorded: said explicitly, as read-only model fields lose `allow_blank` (and the schema the "").
    sex = serializers.ChoiceField(choices=Sex.choices, allow_blank=True, read_only=True)
    fitzpatrick_type = serializers.ChoiceField(choices=FitzpatrickType.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "reference", "birth_year", "sex", "fitzpatrick_type", "lesion_count", "created_by",
                  "created_at", "updated_at"]
        read_only_fields = fields


class PatientCreateSerializer(NormalisedTextModelSerializerMixin, serializers.ModelSerializer):
    """The model's rules apply: the reference is the same pseudonymous pattern a case's is (a name is refused),
    NFKC-normalised; `sex` and `fitzpatrick_type` are ISIC's vocabularies, empty when not recorded."""

    class Meta:
        model = Patient
        fields = ["reference", "birth_year", "sex", "fitzpatrick_type"]
        # The one-reference-per-clinic rule is the service's (it names the existing patient in its message).
        validators: list[Any] = []


class PatientUpdateSerializer(serializers.ModelSerializer):
    """Year of birth, sex and skin type; `null` or "" clears one. The reference is not editable: the clinic's
    cases were opened (and signed) under it."""

    class Meta:
        model = Patient
        fields = ["birth_year", "sex", "fitzpatrick_type"]
        extra_kwargs = {name: {"required": False} for name in fields}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and "reference" in data:
            raise serializers.ValidationError(
                {"reference": ["A patient's reference cannot change: their cases were opened under it."]})
        return super().to_internal_value(data)


class PatientFilterSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64, required=False, help_text="Exact pseudonymous reference.")
