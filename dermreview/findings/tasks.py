"""Celery tasks of the findings app. Thin: take primary keys, call a service."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


# --- AI drafting (GPU queue) ----------------------------------------------------------------------------------------
@shared_task(
    bind=True,
    name="dermreview.findings.tasks.draft_generate",
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
    from dermreview.findings.services.draft_deadline import DraftTimeLimit, time_limits
    from dermreview.findings.services.draft_worker import drafts_generate_batch, retry_backoff_s

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


@shared_task(name="dermreview.findings.tasks.drafts_reconcile", ignore_result=True)
def drafts_reconcile() -> str:
    """Periodic (celery beat): requeue drafts that were lost, orphaned or failed transiently."""
    from dermreview.findings.services.draft_reconcile import drafts_reconcile as reconcile

    return reconcile().as_line()
# --- end of AI drafting ---------------------------------------------------------------------------------------------


# --- Agreement scoring (scoring queue) ------------------------------------------------------------------------------
# How many other unscored sign-offs one task scores along with its own: one batched model call for all of them.
AGREEMENT_BATCH_SIZE = 64


@shared_task(
    bind=True,
    name="dermreview.findings.tasks.agreement_score",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=300,
    time_limit=360,
    ignore_result=True,
)
def agreement_score(self, review_id: int) -> int:  # noqa: ANN001 - Celery's bound task
    """Store agreement scores for `review_id` (and up to 63 other unscored sign-offs, in one batched call).

    Idempotent. A failure (scorer cannot load, database error) retries with exponential backoff; the sign-off it
    scores was committed before this was queued and is never touched by it.
    """
    from dermreview.findings.models import Review
    from dermreview.findings.services.agreement import agreement_score_reviews

    others = (Review.objects.filter(scored_at__isnull=True).exclude(pk=review_id)
              .order_by("signed_at").values_list("pk", flat=True)[: AGREEMENT_BATCH_SIZE - 1])
    written = agreement_score_reviews(review_ids=[review_id, *others])
    logger.info("agreement: review %s (+%d others): %d scores stored", review_id, len(others), written)
    return written
# --- end of agreement scoring ---------------------------------------------------------------------------------------
