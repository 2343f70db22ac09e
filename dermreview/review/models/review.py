from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dermreview.drafting.models.fields import FindingFieldsMixin
from dermreview.review.models.plan import ChangeSincePrevious, ManagementPlan


class ReviewOutcome(models.TextChoices):
    """What the reviewer did with the AI draft shown to them. A sign-off that settles a disagreement (round 3) is
    made on the adjudication page, which shows the two reviewers' findings and never the AI draft: it is
    `RESOLVING`, never an acceptance of the draft (so it stays out of the automation-bias figures)."""

    ACCEPTED = "accepted", "AI draft accepted unchanged"
    EDITED = "edited", "AI draft accepted with edits"
    REJECTED_DRAFT = "rejected_draft", "AI draft rejected; finding entered by hand"
    MANUAL = "manual", "No AI draft; finding entered by hand"
    RESOLVING = "resolving", "Resolving sign-off of a disagreement; AI draft not shown"


class ReviewResolution(models.TextChoices):
    """How a dual-reviewed finding became final (empty: single review, or not the final sign-off)."""

    CONCORDANT = "concordant", "Concordant: both reviewers agreed"
    AGREED = "agreed", "Disagreement resolved: the two reviewers agreed on one version"
    ADJUDICATED = "adjudicated_by_third_reviewer", "Disagreement adjudicated by a third reviewer"


class ReviewQuerySet(models.QuerySet["Review"]):
    def visible_to(self, user: Any) -> ReviewQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(case__organisation_id=user.organisation_id)

    def active(self) -> ReviewQuerySet:
        """Sign-offs that still stand (not voided by an amendment)."""
        return self.filter(voided_at__isnull=True)


class Review(FindingFieldsMixin):
    """One reviewer's signed, final six-field finding for a case. Immutable once written.

    A case's finding is `version` N; it is final when its required sign-offs exist (`round` 1, and round 2
    by a different reviewer for high-risk findings). An amendment writes version N+1 and voids the sign-offs
    of version N (`voided_at`), which stay for the record.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="reviews")
    version = models.PositiveIntegerField(default=1)
    round = models.PositiveSmallIntegerField(default=1, help_text="1 = first sign-off, 2 = second (dual) review.")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    draft = models.ForeignKey(
        "drafting.Draft", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews",
        help_text="The AI draft shown to the reviewer, if any.",
    )
    draft_snapshot = models.JSONField(
        default=dict, blank=True, help_text="The draft's fields, model id, revision and prompt version as shown."
    )
    blind_finding = models.ForeignKey(
        "review.BlindFinding", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    edited_fields = models.JSONField(default=list, blank=True, help_text="Fields whose final text differs from the draft.")
    all_unchanged = models.BooleanField(default=False, help_text="Every field accepted exactly as the AI drafted it.")
    rejection_reason = models.TextField(blank=True)
    disagreement_fields = models.JSONField(
        default=list, blank=True,
        help_text="Round 2 only: the fields whose (normalised) text differs from round 1's finding of this version.",
    )
    attestation = models.TextField(help_text="The statement the reviewer signed.")
    opened_at = models.DateTimeField(help_text="When the reviewer opened the review page.")
    signed_at = models.DateTimeField(db_index=True)
    time_on_task_ms = models.PositiveIntegerField()
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    amendment_reason = models.TextField(blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(null=True, blank=True, help_text="When agreement scores were stored.")
    lesion_class = models.ForeignKey(
        "cases.DiagnosisClass", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The diagnosis class `lesion_type` names (empty only for findings signed before the vocabulary).",
    )
    resolution = models.CharField(
        max_length=32, choices=ReviewResolution.choices, blank=True, default="",
        help_text="On the sign-off that made a dual-reviewed case final: how the two reviewers' findings were resolved.",
    )
    taken_from_ai = models.JSONField(
        default=list, blank=True,
        help_text="Blind-first only: the fields the reviewer switched from their own blind finding to the AI draft's "
        "value on the sign form (\u201cUse the AI's value\u201d), as submitted and checked against the draft.",
    )
    adjudication_proposal = models.JSONField(
        default=dict, blank=True,
        help_text="Round 2 only, while the case awaits adjudication: one of the two reviewers' proposal to settle "
        "the disagreement on one of the two findings ({round, by, at}); the other reviewer confirms it.",
    )
    signed_context = models.JSONField(
        default=dict, blank=True,
        help_text="What the finding was signed against, as it stood at sign-off: the case's patient reference, body "
        "site, lesion label and lock version, and each photo's id, checksum and capture type. Exports read this.",
    )

    # Human-only fields (`review/models/plan.py`): what happens next, and the comparison with the previous visit.
    management_plan = models.CharField(max_length=20, choices=ManagementPlan.choices, blank=True)
    follow_up_on = models.DateField("follow-up due", null=True, blank=True)
    change_since_previous = models.CharField(max_length=16, choices=ChangeSincePrevious.choices, blank=True)
    change_aspects = models.JSONField(
        default=list, blank=True, help_text="For 'changed': which of size, colour, shape, symptoms changed.",
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["case", "version", "round"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version", "round"], name="review_one_per_round"),
            # An agreed resolution is signed (round 3) by one of the two reviewers who disagreed.
            models.UniqueConstraint(fields=["case", "version", "reviewer"], condition=~models.Q(resolution="agreed"),
                                    name="review_distinct_reviewers"),
        ]
        indexes = [
            models.Index(fields=["reviewer", "signed_at"], name="review_reviewer_signed_idx"),
            models.Index(fields=["management_plan", "follow_up_on"], name="review_follow_up_idx"),
        ]

    def __str__(self) -> str:
        return f"Review v{self.version} round {self.round} of case {self.case_id} by {self.reviewer}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def round_label(self) -> str:
        """What this sign-off was, as the pages name it: "first review", "second review", "resolving sign-off"."""
        return round_label(self.round)


# Round 3 settles a disagreement of rounds 1 and 2: a third reviewer's decision, or the two reviewers' agreement.
ROUND_LABELS = {1: "first review", 2: "second review", 3: "resolving sign-off"}


def round_label(round_no: int) -> str:
    return ROUND_LABELS.get(round_no, f"round {round_no}")


def case_context(case: Any) -> dict[str, Any]:
    """What a finding is signed against (stored as `Review.signed_context`): the case's details and lock version,
    and its photos (id, checksum, capture type), as they stand now."""
    photos = case.images.order_by("pk").values_list("pk", "sha256", "capture_type")
    return {
        "patient_ref": case.patient_ref, "body_site": case.body_site, "lesion_label": case.lesion_label,
        "case_version": case.lock_version,
        "images": [{"id": pk, "sha256": sha, "capture_type": capture} for pk, sha, capture in photos],
    }
