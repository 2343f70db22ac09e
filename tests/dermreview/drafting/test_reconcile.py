"""The reconciler: orphaned, lost and transiently failed drafts are brought back; nothing is flooded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from dermreview.drafting.models import Draft, DraftStatus, FailureKind
from dermreview.drafting.services.identity import model_identity
from dermreview.drafting.services.reconcile import drafts_reconcile
from tests.factories import DraftFactory
from tests.worker_process import broker_purge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_broker() -> Iterator[None]:
    broker_purge("gpu")
    yield
    broker_purge("gpu")  # one test sends real messages: leave nothing for a later worker


def _draft(case: Any, status: str, **extra: Any) -> Draft:
    identity = model_identity()
    return DraftFactory(image__case=case, status=status, model_id=identity.model_id,
                        model_revision=identity.model_revision, prompt_version=identity.prompt_version, **extra)


def _sent(callbacks: list[Any]) -> list[int]:
    return sorted(callback.args[0] for callback in callbacks)


def test_reconcile_requeues_a_stale_running_draft(alice_case: Any, settings: Any,
                                                  django_capture_on_commit_callbacks: Any) -> None:
    old = timezone.now() - timedelta(seconds=settings.DERMREVIEW_RECONCILE_AFTER_S + 5)
    stale = _draft(alice_case, DraftStatus.RUNNING, started_at=old, claim_token="dead", attempts=1)
    fresh = _draft(alice_case, DraftStatus.RUNNING, started_at=timezone.now(), claim_token="alive", attempts=1)
    with django_capture_on_commit_callbacks() as callbacks:
        report = drafts_reconcile()
    assert report.stale_requeued == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.claim_token) == (DraftStatus.QUEUED, "")
    assert fresh.status == DraftStatus.RUNNING
    assert _sent(callbacks) == [stale.pk]


def test_reconcile_gives_up_on_a_stale_draft_without_attempts_left(alice_case: Any, settings: Any) -> None:
    old = timezone.now() - timedelta(seconds=settings.DERMREVIEW_RECONCILE_AFTER_S + 5)
    draft = _draft(alice_case, DraftStatus.RUNNING, started_at=old, claim_token="dead",
                   attempts=settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS)
    assert drafts_reconcile().stale_exhausted == 1
    draft.refresh_from_db()
    assert (draft.status, draft.failure_kind) == (DraftStatus.FAILED, FailureKind.ATTEMPTS_EXHAUSTED)
    assert "stopped answering" in draft.failure_message


def test_reconcile_retries_transient_failures_after_their_backoff(
    alice_case: Any, settings: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DERMREVIEW_DRAFT_RETRY_BACKOFF_S = 60
    now = timezone.now()
    due = _draft(alice_case, DraftStatus.FAILED, failure_kind=FailureKind.MODEL_LOAD, attempts=1,
                 finished_at=now - timedelta(seconds=61))
    waiting = _draft(alice_case, DraftStatus.FAILED, failure_kind=FailureKind.TIMEOUT, attempts=2,
                     finished_at=now - timedelta(seconds=61))  # second attempt: 120 s backoff
    final = _draft(alice_case, DraftStatus.FAILED, failure_kind=FailureKind.ATTEMPTS_EXHAUSTED, attempts=5,
                   finished_at=now - timedelta(days=1))
    manual = _draft(alice_case, DraftStatus.NEEDS_MANUAL_ENTRY, failure_kind=FailureKind.SCHEMA_INVALID,
                    attempts=1, finished_at=now - timedelta(days=1))
    with django_capture_on_commit_callbacks() as callbacks:
        report = drafts_reconcile(now=now)
    assert report.failed_requeued == 1
    assert _sent(callbacks) == [due.pk]
    statuses = {d.pk: d.status for d in Draft.objects.all()}
    assert statuses[due.pk] == DraftStatus.QUEUED
    assert statuses[waiting.pk] == statuses[final.pk] == DraftStatus.FAILED
    assert statuses[manual.pk] == DraftStatus.NEEDS_MANUAL_ENTRY


def test_reconcile_resends_overdue_queued_drafts_only_when_messages_are_missing(
    alice_case: Any, settings: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DERMREVIEW_RECONCILE_QUEUED_AFTER_S = 30
    old = timezone.now() - timedelta(seconds=60)
    overdue = [_draft(alice_case, DraftStatus.QUEUED, queued_at=old + timedelta(seconds=i)) for i in range(3)]
    _draft(alice_case, DraftStatus.QUEUED, queued_at=timezone.now())  # just queued: its message is on its way
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = drafts_reconcile()
    assert report.queued_overdue == 3 and report.broker_waiting == 0
    # Four queued, none in the broker: the three overdue ones are re-sent (for real, into the test broker).
    assert _sent(callbacks) == [d.pk for d in overdue]
    with django_capture_on_commit_callbacks() as second_run:
        report = drafts_reconcile()
    # The broker now holds three messages for four queued drafts: one is missing, the oldest gets it.
    assert report.broker_waiting == 3
    assert _sent(second_run) == [overdue[0].pk]


def test_reconcile_sends_nothing_while_drafting_is_paused(alice_case: Any, settings: Any,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    settings.DERMREVIEW_DRAFTING_ENABLED = False
    _draft(alice_case, DraftStatus.QUEUED, queued_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert drafts_reconcile().paused
    assert callbacks == []


def test_drafts_reconcile_command_prints_its_report(alice_case: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _draft(alice_case, DraftStatus.QUEUED, queued_at=timezone.now())
    call_command("drafts_reconcile")
    out = capsys.readouterr().out
    assert "stale_requeued=0" in out and "queued=1 running=0" in out


def test_queue_depth_counts_database_and_broker(alice_case: Any, django_capture_on_commit_callbacks: Any) -> None:
    from dermreview.drafting.services.queue_depth import queue_depth
    from dermreview.drafting.services.queueing import drafts_send

    _draft(alice_case, DraftStatus.QUEUED, queued_at=timezone.now())
    _draft(alice_case, DraftStatus.QUEUED, queued_at=timezone.now())
    _draft(alice_case, DraftStatus.RUNNING, started_at=timezone.now())
    _draft(alice_case, DraftStatus.READY)
    depth = queue_depth()
    assert (depth.queued, depth.running, depth.broker) == (2, 1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        drafts_send(draft_ids=[12345])  # a real message into the test broker
    assert queue_depth().broker == 1
