"""Cases: output, creation, note edits and list filters."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dermreview.api.serializers.text import NormalisedTextModelSerializerMixin
from dermreview.cases.models import BodySite, Case, CaseStatus, Laterality


class CaseSerializer(serializers.ModelSerializer):
    display_status = serializers.CharField(read_only=True, help_text="What people see, e.g. 'In review'.")
    claimed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    image_count = serializers.IntegerField(read_only=True)
    patient = serializers.IntegerField(source="patient_id", read_only=True, allow_null=True,
                                       help_text="The patient (GET patients/{id}/).")
    lesion = serializers.IntegerField(source="lesion_id", read_only=True, allow_null=True,
                                      help_text="The lesion this case is one visit of (GET lesions/{id}/timeline/).")

    class Meta:
        model = Case
        fields = [
            "id", "patient", "lesion", "patient_ref", "body_site", "lesion_label", "clinical_notes", "status",
            "display_status",
            "blind_first", "high_risk", "claimed_by", "claim_expires_at", "lock_version", "image_count",
            "training_opt_out", "created_by", "created_at", "updated_at",
        ]
        read_only_fields = fields


class CaseCreateSerializer(NormalisedTextModelSerializerMixin, serializers.ModelSerializer):
    """The model's own field rules (pseudonymous reference pattern, lengths, body sites) apply; text is NFKC and a
    hidden (invisible, format, direction-changing or control) character is a field error.

    A follow-up visit of a known lesion names `lesion` alone (its patient, site and label are the lesion's);
    otherwise `patient_ref` and `body_site` (with `lesion_label` and `laterality`) find the clinic's patient and
    lesion, created when new."""

    lesion = serializers.IntegerField(required=False, help_text="A lesion of your clinic (404 otherwise): this "
                                                                "case is its next visit.")
    laterality = serializers.ChoiceField(choices=Laterality.choices, required=False,
                                         help_text="The side, for a new lesion; a known side never matches a "
                                                   "lesion of the other side.")

    class Meta:
        model = Case
        fields = ["lesion", "patient_ref", "body_site", "lesion_label", "laterality", "clinical_notes"]
        extra_kwargs = {"patient_ref": {"required": False}, "body_site": {"required": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        named = [name for name in ("patient_ref", "body_site", "lesion_label", "laterality") if name in attrs]
        if "lesion" in attrs and named:
            raise serializers.ValidationError(
                {name: ["Give either `lesion` (a follow-up visit) or the patient and site, not both."]
                 for name in named})
        if "lesion" not in attrs:
            missing = [name for name in ("patient_ref", "body_site") if name not in attrs]
            if missing:
                raise serializers.ValidationError({name: ["This field is required (or give `lesion`)."]
                                                   for name in missing})
        return attrs


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
