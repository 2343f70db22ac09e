"""Signed findings (reviews) and the review commands' own inputs: blind finding, sign-off, amendment."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dermreview.api.serializers.common import (
    AI_DRAFT_LABEL,
    AI_FIELDS_HELP,
    HUMAN_FINAL_LABEL,
    KIND_AI_DRAFT,
    KIND_BLIND_FINDING,
    KIND_SIGNED_FINDING,
    FindingFieldsSerializer,
)
from dermreview.api.serializers.text import NormalisedCharField, NormalisedFindingFieldsSerializer
from dermreview.cases.models import DiagnosisClass
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import BlindFinding, Review
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan
from dermreview.review.models.review import ReviewResolution
from dermreview.review.selectors.signoffs import may_see_draft_snapshots
from dermreview.review.services.plan import PlanInput


class DraftSnapshotSerializer(serializers.Serializer):
    """What the AI drafted, as it was shown to the reviewer when they signed."""

    kind = serializers.ChoiceField(choices=KIND_AI_DRAFT)
    reviewed = serializers.BooleanField(help_text="Always false: this is the AI's unreviewed text.")
    label = serializers.CharField()
    draft_id = serializers.IntegerField(allow_null=True)
    image_id = serializers.IntegerField(allow_null=True)
    model_id = serializers.CharField(allow_blank=True)
    model_revision = serializers.CharField(allow_blank=True)
    resolved_revision = serializers.CharField(allow_blank=True, help_text="The commit(s) the weights came from.")
    prompt_version = serializers.CharField(allow_blank=True)
    fields = FindingFieldsSerializer(help_text=AI_FIELDS_HELP)


def draft_snapshot_payload(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    if not snapshot:
        return None
    return {
        "kind": "ai_draft", "reviewed": False, "label": AI_DRAFT_LABEL,
        "draft_id": snapshot.get("draft_id"), "image_id": snapshot.get("image_id"),
        "model_id": snapshot.get("model_id", ""), "model_revision": snapshot.get("model_revision", ""),
        "prompt_version": snapshot.get("prompt_version", ""),
        "resolved_revision": snapshot.get("resolved_revision", ""),
        "fields": {name: (snapshot.get("fields") or {}).get(name, "") for name in FINDING_FIELDS},
    }


class DiagnosisClassSerializer(serializers.ModelSerializer):
    """The diagnosis class a signed finding's lesion type names (null only for findings signed before the
    vocabulary existed)."""

    class Meta:
        model = DiagnosisClass
        fields = ["code", "name", "high_risk"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    reviewed = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    case_id = serializers.IntegerField(read_only=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewer_id = serializers.IntegerField(read_only=True)
    # Not `get_fields`: that name is the Serializer's own hook for building its fields.
    fields = serializers.SerializerMethodField(method_name="get_finding_fields",
                                               help_text="The reviewer-confirmed six fields.")
    lesion_class = DiagnosisClassSerializer(read_only=True, allow_null=True)
    resolution = serializers.ChoiceField(
        choices=ReviewResolution.choices, allow_blank=True, read_only=True,
        help_text="On the sign-off that made a dual-reviewed case final: how the two findings were resolved; "
                  "empty on every other sign-off.")
    ai_draft = serializers.SerializerMethodField(
        help_text="The AI draft the reviewer started from, as shown to them; null without one, and always null for "
                  "clinicians.")
    is_void = serializers.BooleanField(read_only=True, help_text="Superseded by an amendment (kept for the record).")
    voided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    draft_id = serializers.IntegerField(read_only=True, allow_null=True)
    blind_finding_id = serializers.IntegerField(read_only=True, allow_null=True)
    supersedes_id = serializers.IntegerField(read_only=True, allow_null=True)
    # The reviewer's own decisions (review/services/plan.py); empty on sign-offs that recorded none.
    management_plan = serializers.ChoiceField(choices=ManagementPlan.choices, allow_blank=True, read_only=True)
    follow_up_on = serializers.DateField(read_only=True, allow_null=True)
    change_since_previous = serializers.ChoiceField(choices=ChangeSincePrevious.choices, allow_blank=True,
                                                    read_only=True)
    change_aspects = serializers.ListField(child=serializers.ChoiceField(choices=ChangeAspect.choices),
                                           read_only=True)

    class Meta:
        model = Review
        fields = [
            "id", "kind", "reviewed", "label", "case_id", "version", "round", "reviewer", "reviewer_id",
            "outcome", "fields", "lesion_class", "edited_fields", "all_unchanged", "disagreement_fields", "resolution",
            "rejection_reason",
            "ai_draft", "draft_id", "blind_finding_id", "attestation", "opened_at", "signed_at", "time_on_task_ms",
            "supersedes_id", "amendment_reason", "is_void", "voided_at", "voided_by",
            "management_plan", "follow_up_on", "change_since_previous", "change_aspects",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=KIND_SIGNED_FINDING))
    def get_kind(self, review: Review) -> str:
        return "signed_finding"

    @extend_schema_field(serializers.BooleanField())
    def get_reviewed(self, review: Review) -> bool:
        return True

    @extend_schema_field(serializers.CharField())
    def get_label(self, review: Review) -> str:
        return HUMAN_FINAL_LABEL

    @extend_schema_field(FindingFieldsSerializer)
    def get_finding_fields(self, review: Review) -> dict[str, str]:
        return review.finding_fields()

    @extend_schema_field(DraftSnapshotSerializer(allow_null=True))
    def get_ai_draft(self, review: Review) -> dict[str, Any] | None:
        # Clinicians never see an AI draft's text, not even the one a signed finding started from.
        request = self.context.get("request")
        if request is not None and not may_see_draft_snapshots(request.user):
            return None
        return draft_snapshot_payload(review.draft_snapshot)


class BlindFindingInputSerializer(serializers.Serializer):
    fields = NormalisedFindingFieldsSerializer(
        help_text="Your own six-field finding, recorded before the AI draft is shown. `lesion_type` must name a "
                  "diagnosis class of the vocabulary (a qualifier may follow it).")


class BlindFindingSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    case_id = serializers.IntegerField(read_only=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    fields = serializers.SerializerMethodField(method_name="get_finding_fields")
    lesion_class = DiagnosisClassSerializer(read_only=True, allow_null=True)

    class Meta:
        model = BlindFinding
        fields = ["id", "kind", "case_id", "reviewer", "fields", "lesion_class", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=KIND_BLIND_FINDING))
    def get_kind(self, finding: BlindFinding) -> str:
        return "blind_finding"

    @extend_schema_field(FindingFieldsSerializer)
    def get_finding_fields(self, finding: BlindFinding) -> dict[str, str]:
        return finding.finding_fields()


class SignSerializer(serializers.Serializer):
    """Sign the case's finding (round 1, or round 2 of a high-risk case). The same rules as the review page.

    You must hold the case's claim (POST cases/{id}/claim/): without it the answer is 409 `claim_required`.
    """

    fields = NormalisedFindingFieldsSerializer(
        help_text="The final six fields. Every field is required; `lesion_type` must name a diagnosis class of the "
                  "vocabulary (a qualifier may follow it: \"Basal cell carcinoma, nodular\"), or the answer is a "
                  "400 on `fields.lesion_type`.")
    confirmed_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=list(FINDING_FIELDS)), required=False, default=list,
        help_text="Fields you keep exactly as the AI drafted them: each must be named, deliberately.",
    )
    draft_id = serializers.IntegerField(
        allow_null=True, required=False, default=None,
        help_text="The AI draft you worked from (GET images/{id}/draft/). Null only when no draft is ready.",
    )
    rejection_reason = NormalisedCharField(
        allow_blank=True, required=False, default="", max_length=10_000, multiline=True,
        help_text="Set to reject the draft as unusable; the fields are then your own.",
    )
    opened_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="Optional and ignored (accepted for compatibility). Time on task is measured by the server, from "
                  "when you claimed the case (POST cases/{id}/claim/) to the sign-off; the review's `opened_at` "
                  "reports that claim time.",
    )
    expected_lock_version = serializers.IntegerField(
        min_value=0, help_text="The case's `lock_version` when you read it; a stale value answers 409.")
    attestation = serializers.BooleanField(help_text="Must be true: you attest the statement recorded with the review.")
    management_plan = serializers.ChoiceField(
        choices=ManagementPlan.choices, required=False, allow_blank=True, default="",
        help_text="What happens next (your decision, never the AI's). Required when this sign-off makes the case "
                  "final; optional (stored when given) when it leaves the case for a second review or adjudication.")
    follow_up_on = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="The follow-up visit's date: required with `monitor` (after today, within 5 years), refused with "
                  "any other plan.")
    change_since_previous = serializers.ChoiceField(
        choices=ChangeSincePrevious.choices, required=False, allow_blank=True, default="",
        help_text="Change since the lesion's previous visit. A first visit: `new` (the default) or `not_comparable`; "
                  "a follow-up visit: `stable`, `changed` or `not_comparable`, required with the plan.")
    change_aspects = serializers.ListField(
        child=serializers.ChoiceField(choices=ChangeAspect.choices), required=False, default=list,
        help_text="With `changed` only, at least one: what changed.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The sign-off service takes the four as one value; it decides when they are required.
        attrs["plan"] = PlanInput(
            management_plan=attrs.pop("management_plan", ""), follow_up_on=attrs.pop("follow_up_on", None),
            change_since_previous=attrs.pop("change_since_previous", ""),
            change_aspects=tuple(attrs.pop("change_aspects", ())))
        return attrs


class AmendSerializer(serializers.Serializer):
    """Amend a final finding: a new version supersedes this sign-off (which stays, voided, for the record)."""

    fields = NormalisedFindingFieldsSerializer()
    reason = NormalisedCharField(max_length=10_000, allow_blank=True, multiline=True,
                                 help_text="Why the finding changes. Required.")
    opened_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="Optional and ignored (accepted for compatibility). Time on task is measured by the server, from "
                  "when you claimed the final case for the amendment (POST cases/{id}/claim/).")
    expected_lock_version = serializers.IntegerField(min_value=0)
    attestation = serializers.BooleanField()
