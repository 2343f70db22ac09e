"""The Celery application shared by the web tier (which only enqueues) and the workers."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermreview.settings.development")

app = Celery("dermreview")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
