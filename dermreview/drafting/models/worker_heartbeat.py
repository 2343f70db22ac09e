from __future__ import annotations

from django.db import models


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
