"""The worker-side drafting services: claiming, micro-batching, storing results, failures and time limits."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import Draft, DraftStatus
from dermreview.drafting.models import FailureKind as StoredFailure
from dermreview.drafting.runtime import WorkerRuntime
from dermreview.drafting.services.deadline import HARD_LIMIT_EXIT_CODE, DraftTimeLimit, time_limits
from dermreview.drafting.services.identity import model_identity
from dermreview.drafting.services.worker import (
    draft_claim,
    draft_store_result,
    drafts_claim_more,
    drafts_generate_batch,
)
from inference_worker import DraftResult, FailureKind, Finding, WorkerConfig
from tests.factories import SAMPLE_FINDING, DraftFactory
from tests.worker_process import TINY_WORKER_ENV

pytestmark = pytest.mark.django_db


@pytest.fixture
def runtime() -> WorkerRuntime:
    """A worker process's state as it is at start-up: no engine yet, no load failure remembered."""
    return WorkerRuntime()


def _queued(case: Any, n: int = 1, **extra: Any) -> list[Draft]:
    identity = model_identity()
    drafts = []
    for i in range(n):
        drafts.append(DraftFactory(
            image__case=case, status=DraftStatus.QUEUED, model_id=identity.model_id,
            model_revision=identity.model_revision, prompt_version=identity.prompt_version,
            queued_at=timezone.now() - timedelta(seconds=10 - i), lesion_type="", color="", symmetry="",
            borders="", texture="", summary="", raw_output="", **extra,
        ))
    return drafts


def _result(draft: Draft, *, finding: Finding | None = None, kind: FailureKind | None = None,
            raw: str = "{}", model_id: str | None = None) -> DraftResult:
    """What the engine of the draft's model returns for it (another model's, given `model_id`)."""
    return DraftResult(key=str(draft.pk), finding=finding, failure_kind=kind, failure_message="bad" if kind else "",
                       raw_text=raw, backend="transformers", model_id=model_id or draft.model_id,
                       model_revision=draft.model_revision, prompt_version=draft.prompt_version,
                       preprocess_ms=5.0, generate_ms=50.0, prompt_tokens=100, output_tokens=60, batch_size=2)


def test_draft_claim_takes_a_queued_draft_once(alice_case: Any) -> None:
    [draft] = _queued(alice_case)
    identity = model_identity()
    assert draft_claim(draft_id=draft.pk, claim_token="run-1", identity=identity) == [draft.pk]
    assert draft_claim(draft_id=draft.pk, claim_token="run-2", identity=identity) == []
    draft.refresh_from_db()
    assert (draft.status, draft.claim_token, draft.attempts) == (DraftStatus.RUNNING, "run-1", 1)
    assert draft.started_at is not None


def test_draft_claim_resumes_its_own_claim_and_takes_over_stale_ones(alice_case: Any, settings: Any) -> None:
    first, second = _queued(alice_case, 2)
    identity = model_identity()
    draft_claim(draft_id=first.pk, claim_token="dead-run", identity=identity)
    # The same message delivered again (its worker was killed) resumes the claim.
    assert draft_claim(draft_id=first.pk, claim_token="dead-run", identity=identity) == [first.pk]
    draft_claim(draft_id=second.pk, claim_token="other-run", identity=identity)
    assert draft_claim(draft_id=second.pk, claim_token="new-run", identity=identity) == []
    old = timezone.now() - timedelta(seconds=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S + 1)
    Draft.objects.filter(pk=second.pk).update(started_at=old)
    assert draft_claim(draft_id=second.pk, claim_token="new-run", identity=identity) == [second.pk]


def test_draft_claim_leaves_drafts_of_another_model_alone(alice_case: Any) -> None:
    [draft] = _queued(alice_case)
    Draft.objects.filter(pk=draft.pk).update(model_id="some/other-model")
    assert draft_claim(draft_id=draft.pk, claim_token="run", identity=model_identity()) == []


def test_drafts_claim_more_takes_the_oldest_up_to_the_batch_size(alice_case: Any) -> None:
    drafts = _queued(alice_case, 4)
    claimed = drafts_claim_more(claim_token="run", identity=model_identity(), want=3, wait_ms=0, idle_ms=0)
    assert claimed == [d.pk for d in drafts[:3]]
    assert Draft.objects.get(pk=drafts[3].pk).status == DraftStatus.QUEUED


def test_drafts_claim_more_stops_waiting_when_nothing_arrives(alice_case: Any) -> None:
    started = time.monotonic()
    claimed = drafts_claim_more(claim_token="run", identity=model_identity(), want=7, wait_ms=5000, idle_ms=30)
    assert claimed == []
    assert time.monotonic() - started < 1.0, "a lone draft must not wait for the whole batch window"


def test_draft_store_result_ready_keeps_fields_raw_output_and_timings(alice_case: Any) -> None:
    [draft] = _queued(alice_case)
    draft_claim(draft_id=draft.pk, claim_token="run", identity=model_identity())
    draft.refresh_from_db()
    stored = draft_store_result(draft=draft, result=_result(draft, finding=Finding(**SAMPLE_FINDING), raw='{"x"}'),
                                claim_token="run")
    assert stored == DraftStatus.READY
    draft.refresh_from_db()
    assert draft.finding_fields() == SAMPLE_FINDING
    assert draft.raw_output == '{"x"}'
    assert (draft.generate_ms, draft.preprocess_ms, draft.batch_size, draft.output_tokens) == (50.0, 5.0, 2, 60)
    assert draft.queue_wait_ms is not None and draft.queue_wait_ms >= 9000  # queued 10 s before the claim
    assert draft.finished_at is not None
    event = AuditEvent.objects.get(action="draft.generated", object_id=str(draft.pk))
    assert event.case_id == alice_case.pk and event.organisation_id == alice_case.organisation_id


def test_draft_store_result_bad_reply_needs_manual_entry_with_raw_output(alice_case: Any) -> None:
    [draft] = _queued(alice_case)
    draft_claim(draft_id=draft.pk, claim_token="run", identity=model_identity())
    draft.refresh_from_db()
    stored = draft_store_result(draft=draft, result=_result(draft, kind=FailureKind.SCHEMA_INVALID, raw='{"a": 1}'),
                                claim_token="run")
    assert stored == DraftStatus.NEEDS_MANUAL_ENTRY
    draft.refresh_from_db()
    assert (draft.failure_kind, draft.raw_output, draft.lesion_type) == ("schema_invalid", '{"a": 1}', "")


def test_draft_store_result_engine_error_fails_then_exhausts(alice_case: Any, settings: Any) -> None:
    settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS = 2
    first, second = _queued(alice_case, 2)
    identity = model_identity()
    draft_claim(draft_id=first.pk, claim_token="run", identity=identity)
    first.refresh_from_db()
    assert draft_store_result(draft=first, result=_result(first, kind=FailureKind.ENGINE_ERROR),
                              claim_token="run") == DraftStatus.FAILED
    first.refresh_from_db()
    assert first.failure_kind == StoredFailure.ENGINE_ERROR
    Draft.objects.filter(pk=second.pk).update(attempts=1)
    draft_claim(draft_id=second.pk, claim_token="run", identity=identity)
    second.refresh_from_db()
    draft_store_result(draft=second, result=_result(second, kind=FailureKind.ENGINE_ERROR), claim_token="run")
    second.refresh_from_db()
    assert second.failure_kind == StoredFailure.ATTEMPTS_EXHAUSTED
    assert "Gave up after 2 attempts" in second.failure_message


def test_draft_store_result_after_losing_the_claim_changes_nothing(alice_case: Any) -> None:
    [draft] = _queued(alice_case)
    draft_claim(draft_id=draft.pk, claim_token="slow-run", identity=model_identity())
    Draft.objects.filter(pk=draft.pk).update(claim_token="rescuer")
    draft.refresh_from_db()
    assert draft_store_result(draft=draft, result=_result(draft, finding=Finding(**SAMPLE_FINDING)),
                              claim_token="slow-run") is None
    draft.refresh_from_db()
    assert draft.status == DraftStatus.RUNNING and draft.lesion_type == ""


def test_draft_store_result_from_another_model_fails_and_keeps_the_drafts_identity(alice_case: Any) -> None:
    [draft] = _queued(alice_case)
    draft_claim(draft_id=draft.pk, claim_token="run", identity=model_identity())
    draft.refresh_from_db()
    identity = (draft.model_id, draft.model_revision, draft.prompt_version)
    result = _result(draft, finding=Finding(**SAMPLE_FINDING), model_id="some/other-model")
    assert draft_store_result(draft=draft, result=result, claim_token="run") == DraftStatus.FAILED
    draft.refresh_from_db()
    assert (draft.model_id, draft.model_revision, draft.prompt_version) == identity
    assert draft.failure_kind == StoredFailure.ENGINE_ERROR and "some/other-model" in draft.failure_message
    assert draft.lesion_type == ""


def test_drafts_generate_batch_does_nothing_while_paused(alice_case: Any, settings: Any) -> None:
    [draft] = _queued(alice_case)
    settings.DERMREVIEW_DRAFTING_ENABLED = False
    outcome = drafts_generate_batch(draft_id=draft.pk, claim_token="run")
    assert outcome.skipped_reason == "drafting is paused"
    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.QUEUED


def test_drafts_generate_batch_missing_model_fails_with_reason_and_logs_once(
    alice_case: Any, settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, runtime: WorkerRuntime,
) -> None:
    cfg = WorkerConfig(model=str(tmp_path / "missing-model"), device="cpu")
    settings.DERMREVIEW_WORKER_CONFIG = cfg
    first, second = _queued(alice_case, 2)
    with caplog.at_level(logging.ERROR, logger="dermreview.drafting.runtime"):
        drafts_generate_batch(draft_id=first.pk, claim_token="run-1", cfg=cfg, runtime=runtime)
        drafts_generate_batch(draft_id=second.pk, claim_token="run-2", cfg=cfg, runtime=runtime)
    for draft in Draft.objects.filter(pk__in=[first.pk, second.pk]):
        assert (draft.status, draft.failure_kind) == (DraftStatus.FAILED, "model_load")
        assert "missing-model" in draft.failure_message
    assert sum("AI drafting is unavailable" in r.message for r in caplog.records) == 1


def test_drafts_generate_batch_with_the_tiny_model_drafts_a_batch(
    alice_case: Any, settings: Any, tiny_model_path: Path,
) -> None:
    cfg = WorkerConfig.from_env({**TINY_WORKER_ENV, "DERMREVIEW_MODEL": str(tiny_model_path)})
    settings.DERMREVIEW_WORKER_CONFIG = cfg
    drafts = _queued(alice_case, 3)
    broken = drafts[2]
    Path(broken.image.file.path).write_bytes(b"not an image")
    outcome = drafts_generate_batch(draft_id=drafts[0].pk, claim_token="run", cfg=cfg)
    assert sorted(outcome.claimed) == sorted(d.pk for d in drafts)
    assert sorted(outcome.ready) == [drafts[0].pk, drafts[1].pk]
    assert outcome.manual == [broken.pk]
    for draft in Draft.objects.filter(pk__in=outcome.ready):
        assert draft.status == DraftStatus.READY and all(draft.finding_fields().values())
        assert draft.batch_size == 2 and draft.backend == "transformers"
    broken.refresh_from_db()
    assert (broken.status, broken.failure_kind) == (DraftStatus.NEEDS_MANUAL_ENTRY, "image_unreadable")


def test_time_limits_soft_limit_interrupts_the_main_thread() -> None:
    started = time.monotonic()
    with pytest.raises(DraftTimeLimit), time_limits(soft_s=0.2, hard_s=30):
        while time.monotonic() - started < 5:
            time.sleep(0.01)
    assert time.monotonic() - started < 2


def test_time_limits_soft_limit_interrupts_a_worker_thread() -> None:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            with time_limits(soft_s=0.2, hard_s=30):
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    time.sleep(0.01)
        except DraftTimeLimit as exc:
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=10)
    assert caught and isinstance(caught[0], DraftTimeLimit)


def test_time_limits_hard_limit_ends_the_process() -> None:
    code = ("import time\nfrom dermreview.drafting.services.deadline import time_limits\n"
            "with time_limits(soft_s=60, hard_s=0.3):\n    time.sleep(30)\n")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, text=True,
                               cwd=Path(__file__).resolve().parents[3])
    assert completed.returncode == HARD_LIMIT_EXIT_CODE
    assert "hard time limit" in completed.stderr


@pytest.mark.django_db(transaction=True)  # the latecomer writes from another thread
def test_drafts_claim_more_waits_for_a_burst_that_is_still_arriving(alice_case: Any) -> None:
    identity = model_identity()
    first, second = _queued(alice_case, 2)
    Draft.objects.filter(pk__in=[first.pk, second.pk]).update(queued_at=timezone.now())  # a burst is arriving

    def arrive_later() -> None:
        time.sleep(0.05)
        try:
            DraftFactory(image__case=alice_case, status=DraftStatus.QUEUED, model_id=identity.model_id,
                         model_revision=identity.model_revision, prompt_version=identity.prompt_version,
                         queued_at=timezone.now())
        finally:
            connection.close()

    draft_claim(draft_id=first.pk, claim_token="run", identity=identity)
    latecomer = threading.Thread(target=arrive_later)
    latecomer.start()
    claimed = drafts_claim_more(claim_token="run", identity=identity, want=3, wait_ms=2000, idle_ms=300)
    latecomer.join()
    assert len(claimed) == 3, "the draft that arrived 50 ms later joined the batch"
