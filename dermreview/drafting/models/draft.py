from __future__ import annotations

from typing import Any

from django.db import models

from dermreview.drafting.models.fields import FindingFieldsMixin


class DraftStatus(models.TextChoices):
    """queued → running → ready | needs_manual_entry | failed (failed may be re-queued by a retry)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Draft ready"
    NEEDS_MANUAL_ENTRY = "needs_manual_entry", "Needs manual entry"
    FAILED = "failed", "Failed"


class FailureKind(models.TextChoices):
    UNPARSEABLE = "unparseable", "Reply was not JSON"
    SCHEMA_INVALID = "schema_invalid", "Reply did not match the six-field schema"
    TRUNCATED = "truncated", "Reply was cut off at the token limit"
    EMPTY = "empty", "Reply was empty"
    ENGINE_ERROR = "engine_error", "Inference backend error"
    MODEL_LOAD = "model_load", "Model could not be loaded"
    TIMEOUT = "timeout", "Time limit reached"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted", "Gave up after repeated failures"
    IMAGE_UNREADABLE = "image_unreadable", "Stored image could not be read"


class DraftQuerySet(models.QuerySet["Draft"]):
    def visible_to(self, user: Any) -> DraftQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(image__case__organisation_id=user.organisation_id)

    def pending(self) -> DraftQuerySet:
        return self.filter(status__in=[DraftStatus.QUEUED, DraftStatus.RUNNING])


class Draft(FindingFieldsMixin):
    """The AI model's unreviewed proposal for one image. Never a finding until a human signs a Review."""

    image = models.ForeignKey("cases.LesionImage", on_delete=models.PROTECT, related_name="drafts")
    model_id = models.CharField(max_length=200)
    model_revision = models.CharField(max_length=100)
    prompt_version = models.CharField(max_length=40)
    backend = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=24, choices=DraftStatus.choices, default=DraftStatus.QUEUED, db_index=True)
    raw_output = models.TextField(blank=True, help_text="The model's reply exactly as generated.")
    failure_kind = models.CharField(max_length=24, choices=FailureKind.choices, blank=True)
    failure_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=64, blank=True, help_text="Which worker run holds it while running.")
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    queue_wait_ms = models.FloatField(null=True, blank=True)
    preprocess_ms = models.FloatField(null=True, blank=True)
    generate_ms = models.FloatField(null=True, blank=True)
    batch_size = models.PositiveSmallIntegerField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "model_id", "model_revision", "prompt_version"], name="draft_unique_per_model"
            ),
            models.CheckConstraint(condition=models.Q(status__in=DraftStatus.values), name="draft_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"], name="draft_status_queued_idx")]

    def __str__(self) -> str:
        return f"Draft {self.pk} of image {self.image_id} ({self.status})"

    @property
    def is_usable(self) -> bool:
        return self.status == DraftStatus.READY
