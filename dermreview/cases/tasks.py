"""Celery tasks of the cases app. Thin: call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from dermreview.cases.services.media_storage import media_orphans_sweep

# An upload writes its objects seconds before its row commits; a day leaves any in-flight write far behind.
SWEEP_GRACE = timedelta(days=1)


@shared_task(name="dermreview.cases.tasks.media_orphans_sweep", ignore_result=True, soft_time_limit=1800,
             time_limit=1900)
def media_sweep_orphans() -> int:
    """Periodic (celery beat, daily): delete stored photos no row references (see media_storage)."""
    return len(media_orphans_sweep(older_than=SWEEP_GRACE).orphans)
