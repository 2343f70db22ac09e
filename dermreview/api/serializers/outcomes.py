"""Lesion outcomes: what a lesion turned out to be (histopathology, follow-up, consensus), the reference standard
the AI drafts and the signed findings are measured against. Recorded by people, corrected by voiding."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dermreview.api.serializers.reviews import DiagnosisClassSerializer
from dermreview.api.serializers.text import NormalisedCharField
from dermreview.cases.models import ConfirmType, LesionOutcome

OUTCOME_LABEL = "Recorded outcome (e.g. histopathology): entered by clinic staff, not by the AI."


class OutcomeSerializer(serializers.ModelSerializer):
    lesion = serializers.IntegerField(source="lesion_id", read_only=True)
    diagnosis_class = DiagnosisClassSerializer(read_only=True)
    confirm_type_label = serializers.CharField(source="get_confirm_type_display", read_only=True)
    label = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField(help_text="False once voided (kept for the record).")
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    voided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = LesionOutcome
        fields = ["id", "lesion", "label", "diagnosis_class", "diagnosed_on", "confirm_type", "confirm_type_label",
                  "lab_reference", "notes", "current", "recorded_by", "recorded_at", "voided_at", "voided_by",
                  "void_reason"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_label(self, outcome: LesionOutcome) -> str:
        return OUTCOME_LABEL

    @extend_schema_field(serializers.BooleanField())
    def get_current(self, outcome: LesionOutcome) -> bool:
        return outcome.voided_at is None


class OutcomeCreateSerializer(serializers.Serializer):
    lesion = serializers.IntegerField(help_text="A lesion of your clinic (404 otherwise).")
    diagnosis_class = serializers.SlugField(
        max_length=40, help_text="The code of an active class of your clinic's lesion-class vocabulary (the codes "
                                 "signed findings carry in `lesion_class.code`).")
    diagnosed_on = serializers.DateField(help_text="Date of the diagnosis; not in the future.")
    confirm_type = serializers.ChoiceField(choices=ConfirmType.choices,
                                           help_text="How it was confirmed: ISIC's `diagnosis_confirm_type`.")
    lab_reference = NormalisedCharField(max_length=64, allow_blank=True, required=False, default="")
    notes = NormalisedCharField(max_length=2000, allow_blank=True, required=False, default="", multiline=True)


class OutcomeVoidSerializer(serializers.Serializer):
    reason = NormalisedCharField(max_length=2000, multiline=True,
                                 help_text="Why this outcome is wrong (kept with it). Then record the right one.")


class OutcomeFilterSerializer(serializers.Serializer):
    lesion = serializers.IntegerField(required=False, help_text="A lesion of your clinic (404 otherwise).")
