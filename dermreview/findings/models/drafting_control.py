from __future__ import annotations

from django.conf import settings
from django.db import models


class DraftingControl(models.Model):
    """The kill switch for AI drafting (a single row, pk=1).

    Drafting runs only while both this row and the DERMREVIEW_DRAFTING_ENABLED setting allow it. Uploads
    continue while it is off; images are reviewed by manual entry, and turning it back on drafts the backlog.
    """

    enabled = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "drafting kill switch"

    def __str__(self) -> str:
        return "AI drafting on" if self.enabled else "AI drafting OFF"

    @classmethod
    def current(cls) -> DraftingControl:
        control, _ = cls.objects.get_or_create(pk=1)
        return control

    @classmethod
    def drafting_allowed(cls) -> bool:
        return bool(settings.DERMREVIEW_DRAFTING_ENABLED) and cls.current().enabled


class WorkerHeartbeat(models.Model):
    """Last sign of life of each inference worker, for the model governance page."""

    worker = models.CharField(max_length=200, unique=True, help_text="Celery hostname, e.g. gpu@host-1.")
    backend = models.CharField(max_length=20, blank=True)
    model_id = models.CharField(max_length=200, blank=True)
    model_revision = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    model_loaded = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker} ({self.last_seen:%Y-%m-%d %H:%M:%S})"
