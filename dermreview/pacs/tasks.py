"""Celery task of the archive (queue `pacs`). Thin: take the send's primary key, call the service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


def retry_countdown(attempts: int) -> int:
    """30 s after the first failure, doubling, at most 10 minutes."""
    base, cap = settings.DERMREVIEW_DICOM_RETRY_BACKOFF_S, settings.DERMREVIEW_DICOM_RETRY_BACKOFF_MAX_S
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


@shared_task(
    bind=True,
    name="dermreview.pacs.tasks.dicom_send_deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    # The service bounds the attempts (DERMREVIEW_DICOM_MAX_ATTEMPTS, counted on the row); Celery's own counter
    # would restart with every "Send to PACS".
    max_retries=None,
    soft_time_limit=900,
    time_limit=960,
    ignore_result=True,
)
def dicom_send_deliver(self, send_id: int) -> str:  # noqa: ANN001 - Celery's bound task
    """Send one queued DICOM send; a failed attempt is recorded on the row and retried with backoff."""
    from dermreview.pacs.errors import DicomDeliveryFailed
    from dermreview.pacs.services.deliver import dicom_send_deliver as deliver

    try:
        send = deliver(send_id=send_id)
    except DicomDeliveryFailed as failed:
        logger.warning("dicom send %s: attempt %s failed: %s", send_id, failed.attempts, failed)
        if failed.retry:
            raise self.retry(countdown=retry_countdown(failed.attempts), exc=failed) from failed
        return "failed"
    return "sent" if send is not None else "nothing to do"
