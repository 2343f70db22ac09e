"""Celery tasks of shadow evaluation. Thin: take primary keys, call a service.

`evaluation_draft` runs on the `gpu` queue, one chunk (one batch) per message, each sent at a low priority
(`services.evaluation.EVALUATION_PRIORITY`) so that live drafting goes first; `evaluation_score` runs on the
`scoring` queue, where agreement is scored.
"""

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
    name="dermreview.governance.tasks.evaluation_draft",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S,
    time_limit=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S,
    max_retries=5,
    ignore_result=True,
)
def evaluation_draft(self, run_id: int) -> str:  # noqa: ANN001 - Celery's bound task
    """Draft the next chunk of evaluation `run_id`, then send the next chunk (or the scoring). Idempotent.

    The claim token is the task id: a redelivery of this message after its worker died resumes the chunk it held.
    """
    from dermreview.drafting.services.deadline import DraftTimeLimit, time_limits
    from dermreview.drafting.services.worker import retry_backoff_s
    from dermreview.governance.services.evaluation import evaluation_continue
    from dermreview.governance.services.shadow import evaluation_draft_chunk, evaluation_items_time_out

    token = self.request.id or uuid.uuid4().hex
    try:
        with time_limits(soft_s=settings.DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S,
                         hard_s=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S):
            outcome = evaluation_draft_chunk(run_id=run_id, claim_token=token)
    except (DraftTimeLimit, SoftTimeLimitExceeded):
        message = f"soft time limit of {settings.DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S} s reached"
        failed = evaluation_items_time_out(run_id=run_id, claim_token=token, message=message)
        logger.error("evaluation %s: %s; %d photo(s) counted as failures", run_id, message, failed)
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=retry_backoff_s(self.request.retries + 1)) from exc
    else:
        if outcome.stopped:
            logger.info("evaluation %s: %s", run_id, outcome.stopped)
            return outcome.stopped
        logger.info("evaluation %s: %s chunk, %d drafted, %d failed", run_id, outcome.side, outcome.drafted,
                    outcome.failed)
    return evaluation_continue(run_id=run_id)


@shared_task(
    bind=True,
    name="dermreview.governance.tasks.evaluation_score",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1900,
    ignore_result=True,
)
def evaluation_score(self, run_id: int) -> str:  # noqa: ANN001 - Celery's bound task
    """Score evaluation `run_id`'s drafts against the signed findings and finish it. Idempotent."""
    from dermreview.governance.services.scoring import evaluation_score_run

    run = evaluation_score_run(run_id=run_id)
    return run.status if run is not None else "nothing to score"


@shared_task(name="dermreview.governance.tasks.evaluations_resume_stalled", ignore_result=True,
             soft_time_limit=120, time_limit=150)
def evaluations_resume_stalled() -> int:
    """Beat: re-send shadow evaluations whose next message was lost (see `evaluation_runs_resume_stalled`)."""
    from dermreview.governance.services.evaluation import evaluation_runs_resume_stalled

    resumed = evaluation_runs_resume_stalled()
    if resumed:
        logger.warning("resumed stalled evaluation run(s) %s", resumed)
    return len(resumed)
