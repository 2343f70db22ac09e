"""DermReview: AI dermatology drafts behind mandatory human review."""

from __future__ import annotations

# Import the Celery app when Django starts so that `delay_on_commit` and
# `shared_task` bind to it.
from dermreview.celery import app as celery_app

__all__ = ["celery_app"]
