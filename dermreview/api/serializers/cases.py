"""Cases: output, creation, note edits and list filters."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dermreview.api.serializers.text import NormalisedTextModelSerializerMixin
from dermreview.cases.models import BodySite, Case, CaseStatus


class CaseSerializer(serializers.ModelSerializer):
    display_status = serializers.CharField(read_only=True, help_text="What people see, e.g. 'In review'.")
    claimed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    image_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "patient_ref", "body_site", "lesion_label", "clinical_notes", "status", "display_status",
            "blind_first", "high_risk", "claimed_by", "claim_expires_at", "lock_version", "image_count",
            "training_opt_out", "created_by", "created_at", "updated_at",
        ]
        read_only_fields = fields


class CaseCreateSerializer(NormalisedTextModelSerializerMixin, serializers.ModelSerializer):
    """The model's own field rules (pseudonymous reference pattern, lengths, body sites) apply; text is NFKC and a
    hidden (invisible, format, direction-changing or control) character is a field error."""

    class Meta:
        model = Case
        fields = ["patient_ref", "body_site", "lesion_label", "clinical_notes"]


class CaseUpdateSerializer(NormalisedTextModelSerializerMixin, serializers.ModelSerializer):
    """Clinical context, and the patient's choice about model training; a case's status moves through the review
    commands, never through an edit. `training_opt_out` is consent, not signed context: it may change after
    sign-off, when the other fields are refused."""

    class Meta:
        model = Case
        fields = ["body_site", "lesion_label", "clinical_notes", "training_opt_out"]
        extra_kwargs = {name: {"required": False} for name in fields}


class CaseFilterSerializer(serializers.Serializer):
    """Query parameters of the case list. Unknown values are rejected, not silently ignored."""

    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    body_site = serializers.ChoiceField(choices=BodySite.choices, required=False)
    lesion_label = serializers.CharField(max_length=64, required=False, help_text="Exact label.")
    patient_ref = serializers.CharField(max_length=64, required=False, help_text="Exact pseudonymous reference.")
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601; inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601; exclusive.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after >= before:
            raise serializers.ValidationError({"created_before": ["Must be later than created_after."]})
        return attrs
