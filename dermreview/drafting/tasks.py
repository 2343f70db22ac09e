"""Celery tasks of AI drafting (the `gpu` queue). Thin: take primary keys, call a service."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="dermreview.drafting.tasks.draft_generate",
    acks_late=True,
    reject_on_worker_lost=True,
    # Honoured by a prefork pool; the GPU worker's solo pool gets the same limits from `time_limits` below.
    soft_time_limit=settings.DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S,
    time_limit=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S,
    max_retries=settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS,
)
def draft_generate(self, draft_id: int) -> None:  # noqa: ANN001 - Celery's bound task
    """Draft `draft_id` (and other queued drafts, as one micro-batch). A second run for the same draft does nothing.

    The claim token is the task id: a retry or a redelivery of this same message (after its worker was killed)
    resumes the drafts it held, while any other message finds them taken.
    """
    from dermreview.drafting.services.deadline import DraftTimeLimit, time_limits
    from dermreview.drafting.services.worker import drafts_generate_batch, retry_backoff_s

    token = self.request.id or uuid.uuid4().hex
    try:
        with time_limits(soft_s=settings.DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S,
                         hard_s=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S):
            outcome = drafts_generate_batch(draft_id=draft_id, claim_token=token)
    except (DraftTimeLimit, SoftTimeLimitExceeded):
        logger.error("draft %s: soft time limit reached; the batch's drafts are marked failed (timeout)", draft_id)
        return
    except (OperationalError, InterfaceError) as exc:
        # The database went away: try again later with the same token, which resumes whatever this run claimed.
        countdown = retry_backoff_s(self.request.retries + 1)
        logger.warning("draft %s: database error (%s); retrying in %.0f s", draft_id, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if outcome.skipped_reason:
        logger.debug("draft %s: nothing to do (%s)", draft_id, outcome.skipped_reason)


@shared_task(name="dermreview.drafting.tasks.drafts_reconcile", ignore_result=True)
def drafts_reconcile() -> str:
    """Periodic (celery beat): requeue drafts that were lost, orphaned or failed transiently."""
    from dermreview.drafting.services.reconcile import drafts_reconcile as reconcile

    return reconcile().as_line()
