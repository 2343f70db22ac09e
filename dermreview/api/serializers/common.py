"""Shapes shared by every resource: the error body and the labels that say who wrote a text."""

from __future__ import annotations

from rest_framework import serializers

from dermreview.drafting.models.fields import FINDING_FIELD_SPECS

# Choice sets of the `kind` discriminator, named for the OpenAPI document (SPECTACULAR ENUM_NAME_OVERRIDES).
KIND_AI_DRAFT = ["ai_draft"]
KIND_SIGNED_FINDING = ["signed_finding"]
KIND_BLIND_FINDING = ["blind_finding"]
KIND_EXPORT_RECORD = ["signed_finding", "ai_draft"]

AI_DRAFT_LABEL = "Unreviewed AI draft: not a diagnosis until a reviewer signs a finding."
# What an AI draft's `lesion_type` is, in every schema that carries one.
AI_FIELDS_HELP = ("The AI's six fields, unreviewed. `lesion_type` is the model card's clinical classification (e.g. "
                  "melanoma, naevus, basal cell carcinoma): an AI suggestion, not a diagnosis.")
HUMAN_FINAL_LABEL = "Reviewer-confirmed finding."


class ErrorSerializer(serializers.Serializer):
    """Every API error: a stable machine-readable `error` code, a sentence, and per-field messages."""

    error = serializers.CharField(help_text="e.g. invalid, not_authenticated, permission_denied, not_found, "
                                            "conflict, payload_too_large, throttled, locked_out.")
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Messages per input field (nested names dotted: `fields.summary`).")
    current_lock_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="409 conflicts only: the case's lock version now.")
    report = serializers.DictField(
        required=False, help_text="Uploads only: the per-file report when no file was stored (see UploadReport).")


class FindingFieldsSerializer(serializers.Serializer):
    """The six fields of a finding (AI draft, blind-first finding or signed review alike)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Names, order and limits from the one definition of the fields (`inference_worker.fields`), the same
        # the model, the review form and the worker's JSON schema use, so the API accepts exactly what they do.
        return {spec.name: serializers.CharField(max_length=spec.max_length, allow_blank=True)
                for spec in FINDING_FIELD_SPECS}


class LesionClassMappingSerializer(serializers.Serializer):
    """The diagnosis class an AI lesion type maps to (`cases.selectors.LesionClassMapping`)."""

    code = serializers.CharField(allow_blank=True, help_text="Empty when the text names no class.")
    name = serializers.CharField(allow_blank=True)
    high_risk = serializers.BooleanField(
        help_text="A high-risk class, or no class at all: a case with this draft needs a second, different reviewer.")
    matched = serializers.BooleanField()
    label = serializers.CharField(help_text="e.g. `Melanoma (high-risk)`, or `no matching class (treated as "
                                            "high-risk)`.")
