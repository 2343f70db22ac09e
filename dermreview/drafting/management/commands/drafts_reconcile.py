"""`manage.py drafts_reconcile`: run the drafting reconciler once, by hand (celery beat runs it periodically)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dermreview.drafting.services.queue_depth import queue_depth
from dermreview.drafting.services.reconcile import drafts_reconcile


class Command(BaseCommand):
    help = "Requeue AI drafts that were lost, orphaned by a dead worker, or failed transiently."

    def handle(self, *args: Any, **options: Any) -> None:
        report = drafts_reconcile()
        if report.paused:
            self.stdout.write("AI drafting is paused (kill switch or DERMREVIEW_DRAFTING_ENABLED): nothing sent.")
        self.stdout.write(report.as_line())
        depth = queue_depth()
        self.stdout.write(f"queued={depth.queued} running={depth.running} broker={depth.broker}")
