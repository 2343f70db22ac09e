"""Celery tasks of human review (agreement scoring, the `scoring` queue). Thin: take primary keys, call a service."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


# How many other unscored sign-offs one task scores along with its own: one batched model call for all of them.
AGREEMENT_BATCH_SIZE = 64


@shared_task(
    bind=True,
    name="dermreview.review.tasks.agreement_score",
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
    from dermreview.review.models import Review
    from dermreview.review.services.agreement import agreement_score_reviews

    others = (Review.objects.filter(scored_at__isnull=True).exclude(pk=review_id)
              .order_by("signed_at").values_list("pk", flat=True)[: AGREEMENT_BATCH_SIZE - 1])
    written = agreement_score_reviews(review_ids=[review_id, *others])
    logger.info("agreement: review %s (+%d others): %d scores stored", review_id, len(others), written)
    return written


@shared_task(
    name="dermreview.review.tasks.notification_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
    ignore_result=True,
)
def notification_email(notification_id: int) -> bool:
    """Email one clinician notification (default queue). Idempotent: an emailed notification is not sent again."""
    from dermreview.review.services.notifications import notification_send_email

    return notification_send_email(notification_id=notification_id)
