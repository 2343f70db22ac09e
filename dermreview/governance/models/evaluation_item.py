from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone


class EvaluationSide(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    BASELINE = "baseline", "Active version"


class ItemStatus(models.TextChoices):
    """pending ──claim──▶ claimed ──result stored──▶ done; a claim older than the hard time limit (its worker died)
    may be claimed again, and resuming a failed run returns claimed items to pending."""

    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed"
    DONE = "done", "Done"


class EvaluationItemQuerySet(models.QuerySet["EvaluationItem"]):
    def claimable(self, *, stale_before: datetime) -> EvaluationItemQuerySet:
        return self.filter(Q(status=ItemStatus.PENDING) | Q(status=ItemStatus.CLAIMED, claimed_at__lt=stale_before))

    def claim(self, *, claim_token: str) -> int:
        """Claim these rows for one task run with a conditional UPDATE; the row count says how many are ours."""
        return self.filter(status__in=[ItemStatus.PENDING, ItemStatus.CLAIMED]).update(
            status=ItemStatus.CLAIMED, claim_token=claim_token, claimed_at=timezone.now(),
            attempts=models.F("attempts") + 1)

    def held_by(self, claim_token: str) -> EvaluationItemQuerySet:
        return self.filter(status=ItemStatus.CLAIMED, claim_token=claim_token)


class EvaluationItem(models.Model):
    """One photo drafted by one side (candidate or active version) of a shadow evaluation, with its scores.

    A shadow draft lives only here: it is never a `Draft`, so no case page, queue, export or API shows it. `truth`
    is the signed finding's six fields as they stood when the run started (an amendment later does not change what
    was measured), `true_class` the signed lesion class.
    """

    run = models.ForeignKey("governance.EvaluationRun", on_delete=models.CASCADE, related_name="items")
    side = models.CharField(max_length=10, choices=EvaluationSide.choices)
    image = models.ForeignKey("cases.LesionImage", on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey("review.Review", on_delete=models.PROTECT, related_name="+")
    truth = models.JSONField(default=dict)
    true_class = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    claim_token = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finding = models.JSONField(null=True, blank=True, help_text="The six fields drafted; empty when it failed.")
    raw_output = models.TextField(blank=True)
    failure_kind = models.CharField(max_length=24, blank=True)
    failure_message = models.TextField(blank=True)
    predicted_class = models.CharField(max_length=64, blank=True)
    resolved_revision = models.CharField(max_length=200, blank=True)
    generate_ms = models.FloatField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    drafted_at = models.DateTimeField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True, help_text="BERTScore F1 per field against the truth.")
    exact = models.JSONField(default=dict, blank=True, help_text="Exact match (normalised) per field.")
    scored_at = models.DateTimeField(null=True, blank=True)

    objects = EvaluationItemQuerySet.as_manager()

    class Meta:
        ordering = ["run", "side", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "side", "image"], name="evaluation_item_one_per_side_photo"),
        ]
        indexes = [models.Index(fields=["run", "status"], name="evaluation_item_run_status")]

    def __str__(self) -> str:
        return f"Evaluation {self.run_id} {self.side} photo {self.image_id} ({self.status})"
