"""The reconciler: the database is the source of truth, the broker's messages only a hint.

Run by celery beat every DERMREVIEW_RECONCILE_EVERY_S (task `drafts_reconcile`) and by hand with
`manage.py drafts_reconcile`. Each run:

1. `running` drafts whose claim is older than DERMREVIEW_RECONCILE_AFTER_S (their worker died or was cut off by the
   hard limit) go back to `queued`, or to `failed`/`attempts_exhausted` when no attempts remain;
2. `failed` drafts with a retryable kind (model load, timeout, engine error) and attempts left go back to `queued`
   once their backoff (DERMREVIEW_DRAFT_RETRY_BACKOFF_S doubling per attempt, capped) has passed;
3. for `queued` drafts older than DERMREVIEW_RECONCILE_QUEUED_AFTER_S, messages are sent again, but only as many as
   the broker's gpu queue is short of (when the broker can tell), so a long backlog is not flooded with duplicates.

Only drafts for the model this deployment is configured with are touched. Nothing at all happens while the setting or
the global switch is off, and the drafts of a paused clinic (its own switch off, or the model not its approved version:
see `gating`) are left alone (not requeued, not sent) until it is no longer paused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dermreview.drafting.models import Draft, DraftingControl, DraftStatus, FailureKind
from dermreview.drafting.services.gating import paused_organisation_ids
from dermreview.drafting.services.identity import ModelIdentity, model_identity
from dermreview.drafting.services.queue_depth import broker_queue_length
from dermreview.drafting.services.queueing import drafts_send
from dermreview.drafting.services.worker import draft_outcome_audit, retry_backoff_s

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    paused: bool = False
    clinics_paused: int = 0
    stale_requeued: int = 0
    stale_exhausted: int = 0
    failed_requeued: int = 0
    resent: int = 0
    queued_overdue: int = 0
    broker_waiting: int | None = None

    def as_line(self) -> str:
        return " ".join(f"{name}={getattr(self, name)}" for name in self.__dataclass_fields__)


def drafts_reconcile(*, now: datetime | None = None, identity: ModelIdentity | None = None) -> ReconcileReport:
    """Bring every draft of the configured model back on track (see the module docstring). Safe to run anywhere."""
    now = now or timezone.now()
    if not DraftingControl.drafting_allowed():
        return ReconcileReport(paused=True)
    identity = identity or model_identity()
    paused = paused_organisation_ids(identity=identity)
    mine = DraftingControl.exclude_paused(Draft.objects.for_model(identity), paused)
    stale_requeued, stale_exhausted = _requeue_stale_running(mine, now)
    failed_requeued = _requeue_failed(mine, now)
    # Drafts moved back to `queued` by this run always get a message, whatever the broker holds.
    fresh = stale_requeued + failed_requeued

    overdue_before = now - timedelta(seconds=settings.DERMREVIEW_RECONCILE_QUEUED_AFTER_S)
    queued = mine.filter(status=DraftStatus.QUEUED)
    overdue = list(queued.filter(queued_at__lt=overdue_before).order_by("queued_at", "pk").values_list("pk", flat=True))
    waiting = broker_queue_length()
    to_send = list(fresh)
    if overdue:
        # Every queued draft should have a message; if the broker holds fewer, the missing ones were lost.
        total_queued = queued.count()
        missing = len(overdue) if waiting is None else max(total_queued - waiting, 0)
        to_send += [pk for pk in overdue if pk not in fresh][: max(missing - len(fresh), 0)]
    if to_send:
        with transaction.atomic():
            drafts_send(draft_ids=to_send)
    report = ReconcileReport(
        clinics_paused=len(paused), stale_requeued=len(stale_requeued), stale_exhausted=stale_exhausted,
        failed_requeued=len(failed_requeued), resent=len(to_send), queued_overdue=len(overdue), broker_waiting=waiting,
    )
    if to_send or stale_requeued or stale_exhausted or failed_requeued:
        logger.info("reconciler: %s", report.as_line())
    stranded = Draft.objects.filter(status=DraftStatus.QUEUED, queued_at__lt=overdue_before).exclude(
        pk__in=Draft.objects.for_model(identity).values("pk")).count()
    if stranded:
        # Queued for a model these workers do not serve (DERMREVIEW_MODEL changed, or web and workers disagree).
        logger.warning("%d queued draft(s) are for another model than %s@%s (prompt %s); no worker here will take "
                       "them", stranded, identity.model_id, identity.model_revision, identity.prompt_version)
    return report


def _requeue_stale_running(mine: QuerySet[Draft], now: datetime) -> tuple[list[int], int]:
    stale_before = now - timedelta(seconds=settings.DERMREVIEW_RECONCILE_AFTER_S)
    requeued: list[int] = []
    exhausted = 0
    limit = settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS
    stale = mine.filter(status=DraftStatus.RUNNING, started_at__lt=stale_before)
    for draft in stale.select_related("image__case__organisation"):
        with transaction.atomic():
            # Both transitions are conditional on the claim seen: a worker that finishes meanwhile keeps its result.
            if draft.attempts >= limit:
                message = (f"Gave up after {draft.attempts} attempts. Last failure: the worker holding it stopped "
                           f"answering (claimed at {draft.started_at:%Y-%m-%d %H:%M:%S}).")
                if draft.fail(claim_token=draft.claim_token, kind=FailureKind.ATTEMPTS_EXHAUSTED, message=message,
                              finished_at=now):
                    draft_outcome_audit(draft)
                    exhausted += 1
            elif draft.requeue():
                logger.warning("draft %s was claimed at %s and never finished; requeued", draft.pk, draft.started_at)
                requeued.append(draft.pk)
    return requeued, exhausted


def _requeue_failed(mine: QuerySet[Draft], now: datetime) -> list[int]:
    requeued: list[int] = []
    candidates = mine.filter(status=DraftStatus.FAILED, failure_kind__in=FailureKind.retryable_values(),
                             attempts__lt=settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS)
    for draft in candidates.only("pk", "status", "claim_token", "attempts", "finished_at", "failure_kind"):
        due = (draft.finished_at or now) + timedelta(seconds=retry_backoff_s(draft.attempts))
        if due > now:
            continue
        if draft.requeue():
            requeued.append(draft.pk)
    return requeued
