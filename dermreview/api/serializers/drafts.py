"""An image's AI draft, always labelled as an unreviewed AI draft.

Reads a `drafting.selectors.ImageDraftView`: the same object the case page renders, so the page and the API
cannot disagree about what a user may see (its `fields` and `raw_output` are empty where they are withheld).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dermreview.api.serializers.common import (
    AI_DRAFT_LABEL,
    AI_FIELDS_HELP,
    KIND_AI_DRAFT,
    FindingFieldsSerializer,
    LesionClassMappingSerializer,
)
from dermreview.drafting.models import DraftStatus
from dermreview.drafting.selectors import ImageDraftView

DRAFT_API_STATUSES = [*DraftStatus.values, "none"]


class DraftTimingsSerializer(serializers.Serializer):
    queued_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    queue_wait_ms = serializers.FloatField(allow_null=True)
    preprocess_ms = serializers.FloatField(allow_null=True)
    generate_ms = serializers.FloatField(allow_null=True)
    batch_size = serializers.IntegerField(allow_null=True)
    prompt_tokens = serializers.IntegerField(allow_null=True)
    output_tokens = serializers.IntegerField(allow_null=True)
    attempts = serializers.IntegerField()


class DraftSerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField(help_text="Always `ai_draft`: this is not a finding.")
    reviewed = serializers.SerializerMethodField(help_text="Always false: no human has confirmed this text.")
    label = serializers.SerializerMethodField()
    image_id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    draft_id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=DRAFT_API_STATUSES,
                                     help_text="Processing status; `none` when no draft was requested.")
    status_label = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    pending = serializers.BooleanField(help_text="Still queued or running: poll again.")
    queue_position = serializers.IntegerField(allow_null=True)
    paused = serializers.BooleanField(help_text="AI drafting is switched off (kill switch).")
    fields_shown = serializers.BooleanField()
    withheld_reason = serializers.ChoiceField(
        choices=["", "blind_entry_required", "role"],
        help_text="Why `fields` is null for a ready draft: `blind_entry_required` (blind-first case: record your "
                  "own finding with POST cases/{id}/blind-finding/ first) or `role` (clinicians never see drafts).",
    )
    fields = FindingFieldsSerializer(allow_null=True, source="finding", help_text=AI_FIELDS_HELP)
    lesion_class = LesionClassMappingSerializer(
        allow_null=True, help_text="The diagnosis class `fields.lesion_type` maps to in the clinic's vocabulary, "
                                   "the class a reviewer taking that text would sign; null while `fields` is.")
    raw_output = serializers.CharField(allow_null=True, help_text="The model's reply, for failed drafts.")
    failure_kind = serializers.CharField(allow_blank=True)
    model_id = serializers.CharField(allow_null=True)
    model_revision = serializers.CharField(allow_null=True)
    resolved_revision = serializers.CharField(
        allow_null=True, help_text="The commit(s) the loaded weights came from, as the engine reported them "
                                   "(empty when it could not tell).")
    prompt_version = serializers.CharField(allow_null=True)
    backend = serializers.CharField(allow_null=True)
    is_test_model = serializers.BooleanField(
        help_text="Drafted by a test model (the tiny random model, or the demo model trained on synthetic "
                  "drawings): not the real model; the text means nothing for a real photo.")
    timings = DraftTimingsSerializer(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=KIND_AI_DRAFT))
    def get_kind(self, view: ImageDraftView) -> str:
        return "ai_draft"

    @extend_schema_field(serializers.BooleanField())
    def get_reviewed(self, view: ImageDraftView) -> bool:
        return False

    @extend_schema_field(serializers.CharField())
    def get_label(self, view: ImageDraftView) -> str:
        return AI_DRAFT_LABEL
