"""The draft's state machine: the transitions table, the transition methods that enforce it, the failure kinds."""

from __future__ import annotations

from datetime import timedelta
from itertools import product
from typing import Any

import pytest
from django.utils import timezone

from dermreview.cases.models.case import InvalidTransition
from dermreview.drafting.models import DRAFT_TRANSITIONS, Draft, DraftStatus, FailureKind
from inference_worker import FailureKind as EngineFailure
from tests.factories import SAMPLE_FINDING, DraftFactory

pytestmark = pytest.mark.django_db

ALLOWED = {
    (DraftStatus.QUEUED, DraftStatus.RUNNING),
    (DraftStatus.RUNNING, DraftStatus.RUNNING),
    (DraftStatus.RUNNING, DraftStatus.READY),
    (DraftStatus.RUNNING, DraftStatus.NEEDS_MANUAL_ENTRY),
    (DraftStatus.RUNNING, DraftStatus.FAILED),
    (DraftStatus.RUNNING, DraftStatus.QUEUED),
    (DraftStatus.FAILED, DraftStatus.QUEUED),
}


def _draft(case: Any, status: str, **extra: Any) -> Draft:
    return DraftFactory(image__case=case, status=status, lesion_type="", raw_output="", **extra)


def _claimed(case: Any, run: str = "run", **extra: Any) -> Draft:
    draft = _draft(case, DraftStatus.QUEUED, **extra)
    assert Draft.objects.filter(pk=draft.pk).claim_batch(claim_token=run) == 1
    draft.refresh_from_db()
    return draft


@pytest.mark.parametrize(("source", "target"), list(product(DraftStatus.values, repeat=2)))
def test_draft_transitions_table_allows_exactly_the_documented_moves(source: str, target: str) -> None:
    assert set(DRAFT_TRANSITIONS) == set(DraftStatus.values)
    draft = Draft(status=source)
    assert draft.can_transition(target) == ((source, target) in ALLOWED)
    if (source, target) not in ALLOWED:
        with pytest.raises(InvalidTransition):
            draft.assert_transition(target)


def test_draft_claim_batch_claims_only_what_may_run_and_counts_it(alice_case: Any) -> None:
    queued = _draft(alice_case, DraftStatus.QUEUED, attempts=1, failure_kind="timeout")
    finished = [_draft(alice_case, status) for status in
                (DraftStatus.READY, DraftStatus.NEEDS_MANUAL_ENTRY, DraftStatus.FAILED)]
    assert Draft.objects.all().claim_batch(claim_token="run") == 1
    queued.refresh_from_db()
    assert (queued.status, queued.claim_token, queued.attempts, queued.failure_kind) == (
        DraftStatus.RUNNING, "run", 2, "")
    assert [Draft.objects.get(pk=d.pk).status for d in finished] == [d.status for d in finished]
    # A second claim of the same rows (another worker, a duplicate message) takes over only a running one.
    assert Draft.objects.filter(pk=queued.pk).claim_batch(claim_token="other") == 1
    assert Draft.objects.filter(pk__in=[d.pk for d in finished]).claim_batch(claim_token="other") == 0


def test_draft_store_makes_the_holders_draft_ready(alice_case: Any) -> None:
    draft = _claimed(alice_case)
    assert draft.store(claim_token="run", finding=SAMPLE_FINDING, raw_output="{}")
    draft.refresh_from_db()
    assert draft.status == DraftStatus.READY and draft.finding_fields() == SAMPLE_FINDING


def test_draft_store_by_a_run_that_lost_the_claim_writes_nothing(alice_case: Any) -> None:
    draft = _claimed(alice_case, run="slow")
    Draft.objects.filter(pk=draft.pk).claim_batch(claim_token="rescuer")
    assert not draft.store(claim_token="slow", finding=SAMPLE_FINDING)
    assert Draft.objects.get(pk=draft.pk).lesion_type == ""


@pytest.mark.parametrize("status", [DraftStatus.QUEUED, DraftStatus.READY, DraftStatus.NEEDS_MANUAL_ENTRY,
                                    DraftStatus.FAILED])
def test_draft_store_and_fail_refuse_a_draft_that_is_not_running(alice_case: Any, status: str) -> None:
    draft = _draft(alice_case, status, claim_token="run")
    with pytest.raises(InvalidTransition):
        draft.store(claim_token="run", finding=SAMPLE_FINDING)
    with pytest.raises(InvalidTransition):
        draft.fail(claim_token="run", kind=FailureKind.ENGINE_ERROR, message="boom")
    assert Draft.objects.get(pk=draft.pk).status == status


@pytest.mark.parametrize("status", [DraftStatus.QUEUED, DraftStatus.READY, DraftStatus.NEEDS_MANUAL_ENTRY])
def test_draft_requeue_refuses_what_is_not_running_or_failed(alice_case: Any, status: str) -> None:
    draft = _draft(alice_case, status)
    with pytest.raises(InvalidTransition):
        draft.requeue()
    assert Draft.objects.get(pk=draft.pk).status == status


def test_draft_fail_by_kind_manual_entry_failed_or_exhausted(alice_case: Any, settings: Any) -> None:
    settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS = 2
    unreadable = _claimed(alice_case)
    assert unreadable.fail(claim_token="run", kind=FailureKind.IMAGE_UNREADABLE, message="not a JPEG")
    assert (unreadable.status, unreadable.failure_kind) == (DraftStatus.NEEDS_MANUAL_ENTRY, "image_unreadable")
    first_try = _claimed(alice_case)
    assert first_try.fail(claim_token="run", kind=FailureKind.TIMEOUT, message="slow")
    assert (first_try.status, first_try.failure_kind) == (DraftStatus.FAILED, "timeout")
    last_try = _claimed(alice_case, attempts=1)
    assert last_try.fail(claim_token="run", kind=FailureKind.MODEL_LOAD, message="no model")
    stored = Draft.objects.get(pk=last_try.pk)
    assert (stored.status, stored.failure_kind) == (DraftStatus.FAILED, "attempts_exhausted")
    assert stored.failure_message == "Gave up after 2 attempts. Last failure (model_load): no model"


def test_draft_requeue_of_a_stale_claim_is_conditional_on_the_claim_seen(alice_case: Any) -> None:
    draft = _claimed(alice_case, run="dead")
    seen_by_another = Draft.objects.get(pk=draft.pk)
    assert draft.requeue()
    assert (Draft.objects.get(pk=draft.pk).status, draft.claim_token) == (DraftStatus.QUEUED, "")
    Draft.objects.filter(pk=draft.pk).claim_batch(claim_token="new-run")
    assert not seen_by_another.requeue(), "the claim it saw is gone: the new run keeps the draft"
    assert Draft.objects.get(pk=draft.pk).claim_token == "new-run"


def test_draft_requeue_retry_keeps_its_place_and_fresh_starts_over(alice_case: Any) -> None:
    queued_at = timezone.now() - timedelta(hours=1)
    retry = _draft(alice_case, DraftStatus.FAILED, failure_kind="timeout", attempts=2, queued_at=queued_at)
    assert retry.requeue()
    retry.refresh_from_db()
    assert (retry.status, retry.attempts, retry.failure_kind, retry.queued_at) == (
        DraftStatus.QUEUED, 2, "", queued_at)
    fresh = _draft(alice_case, DraftStatus.FAILED, failure_kind="attempts_exhausted", attempts=5,
                   queued_at=queued_at, finished_at=queued_at)
    assert fresh.requeue(fresh=True)
    fresh.refresh_from_db()
    assert (fresh.status, fresh.attempts, fresh.failure_kind, fresh.finished_at) == (DraftStatus.QUEUED, 0, "", None)
    assert fresh.queued_at > queued_at


def test_failure_kinds_agree_with_the_engines_and_say_what_happens_next() -> None:
    for kind in EngineFailure:
        stored = FailureKind.from_engine(kind)
        assert stored.value == kind.value
    assert FailureKind.from_engine(None) == FailureKind.ENGINE_ERROR
    assert {k for k in FailureKind if k.retryable} == {
        FailureKind.MODEL_LOAD, FailureKind.TIMEOUT, FailureKind.ENGINE_ERROR}
    # Greedy decoding repeats a bad reply: the model's own failures go to a human, never to a retry.
    model_faults = {FailureKind.from_engine(k) for k in EngineFailure} - {FailureKind.ENGINE_ERROR}
    assert all(k.manual_entry and not k.retryable for k in model_faults)
    assert not any(k.retryable and k.manual_entry for k in FailureKind)
    assert sorted(FailureKind.retryable_values()) == ["engine_error", "model_load", "timeout"]
    assert Draft(failure_kind="").failure is None and Draft(failure_kind="timeout").failure == FailureKind.TIMEOUT
