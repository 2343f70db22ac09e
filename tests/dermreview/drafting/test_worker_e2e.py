"""End to end with a real Celery worker process: upload → queued → running → ready, through the real task path.

Each test starts `celery -A dermreview worker --pool solo` against the test database and the test broker
(filesystem by default; Redis when CELERY_BROKER_URL says so) with the tiny random model.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.cases.services.upload import images_upload
from dermreview.drafting.models import Draft, DraftingControl, DraftStatus, FailureKind, WorkerHeartbeat
from dermreview.drafting.services.queue_depth import broker_queue_length
from dermreview.drafting.services.queueing import drafting_set_enabled
from dermreview.drafting.services.reconcile import drafts_reconcile
from dermreview.drafting.tasks import draft_generate
from tests.dermreview.cases.upload_helpers import as_upload
from tests.factories import CaseFactory, OrganisationFactory, UserFactory, jpeg_bytes
from tests.worker_process import broker_purge, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _empty_broker() -> None:
    broker_purge("gpu")
    broker_purge("default")


@pytest.fixture
def clinician(db: None) -> Any:
    return UserFactory(username="alice", roles=["clinician"])


def _upload(user: Any, count: int = 1, *, shade: int = 0) -> list[Any]:
    case = CaseFactory(organisation=user.organisation, created_by=user)
    files = [as_upload(f"lesion-{i}.jpg", jpeg_bytes(96 + 8 * i, 72, (150 + shade, 90 + 20 * i, 70)))
             for i in range(count)]
    report = images_upload(case=case, user=user, files=files, capture_type="clinical")
    assert len(report.accepted) == count
    return report.accepted


def _drafts_settled(images: list[Any]) -> list[Draft] | None:
    drafts = list(Draft.objects.filter(image__in=images))
    if len(drafts) == len(images) and all(d.status not in (DraftStatus.QUEUED, DraftStatus.RUNNING) for d in drafts):
        return drafts
    return None


def test_worker_upload_becomes_ready_draft_and_second_run_changes_nothing(
    clinician: Any, drafting_env: dict[str, str], start_worker: Any,
) -> None:
    worker = start_worker("e2e", drafting_env)
    images = _upload(clinician, count=3)

    drafts = wait_for(lambda: _drafts_settled(images), timeout=90, what="3 drafts to finish",
                      on_timeout=worker.log_tail)
    assert {d.status for d in drafts} == {DraftStatus.READY}, [(d.status, d.failure_message) for d in drafts]
    for draft in drafts:
        assert all(draft.finding_fields().values()), "a ready draft has all six fields"
        assert draft.raw_output.startswith("{")
        assert draft.backend == "transformers"
        assert draft.model_id == "tiny-random-qwen3vl (test model)"
        assert draft.attempts == 1
        assert draft.queue_wait_ms is not None and draft.generate_ms and draft.batch_size
        assert draft.prompt_tokens and draft.output_tokens
    # A three-photo upload arrives in one transaction: the worker drafts it as one batch.
    assert max(d.batch_size for d in drafts) == 3
    assert WorkerHeartbeat.objects.get(worker=worker.hostname).model_loaded

    # Running the task again (a duplicate message) is a no-op: still one draft per image, unchanged.
    before = {d.pk: (d.finished_at, d.attempts) for d in drafts}
    duplicate = draft_generate.delay(drafts[0].pk)
    wait_for(lambda: f"[{duplicate.id}] succeeded" in worker.log_tail(100_000), timeout=30,
             what="the duplicate message to be handled", on_timeout=worker.log_tail)
    assert Draft.objects.filter(image__in=images).count() == 3
    after = {d.pk: (d.finished_at, d.attempts) for d in Draft.objects.filter(image__in=images)}
    assert after == before


def test_worker_kill_switch_off_sends_nothing_and_on_drafts_the_backlog(
    clinician: Any, drafting_env: dict[str, str], start_worker: Any,
) -> None:
    root = UserFactory(username="root", organisation=None, roles=["operator"])
    worker = start_worker("switch", drafting_env)
    drafting_set_enabled(enabled=False, user=root, reason="Model under investigation", organisation=None)

    images = _upload(clinician, count=2)
    drafts = list(Draft.objects.filter(image__in=images))
    assert [d.status for d in drafts] == [DraftStatus.QUEUED, DraftStatus.QUEUED]
    assert broker_queue_length("gpu") == 0, "nothing is sent while drafting is off"
    assert drafts_reconcile().paused
    assert broker_queue_length("gpu") == 0

    drafting_set_enabled(enabled=True, user=root, reason="Investigation closed", organisation=None)
    settled = wait_for(lambda: _drafts_settled(images), timeout=60, what="the backlog to be drafted",
                       on_timeout=worker.log_tail)
    assert {d.status for d in settled} == {DraftStatus.READY}
    assert DraftingControl.current().enabled


def test_worker_clinic_switch_off_skips_that_clinics_drafts_and_drafts_the_other_clinics(
    clinician: Any, drafting_env: dict[str, str], start_worker: Any,
) -> None:
    hilltop = UserFactory(username="hugo", organisation=OrganisationFactory(name="Hilltop", slug="hilltop"),
                          roles=["clinician"])
    admin = UserFactory(username="adam", organisation=clinician.organisation, roles=["clinic_admin"])
    # Alice's photos are queued and their messages sent; then her clinic pauses drafting before any worker runs.
    ours = _upload(clinician, count=2)
    assert broker_queue_length("gpu") == 2
    drafting_set_enabled(enabled=False, user=admin, reason="Clinic audit of AI drafts", organisation=clinician.organisation)
    theirs = _upload(hilltop, count=2, shade=40)
    assert broker_queue_length("gpu") == 4, "the other clinic's uploads are sent as usual"

    worker = start_worker("clinics", drafting_env)
    settled = wait_for(lambda: _drafts_settled(theirs), timeout=90, what="the other clinic's drafts",
                       on_timeout=worker.log_tail)
    assert {d.status for d in settled} == {DraftStatus.READY}
    # The worker took the paused clinic's messages too (the queue drains) and left their drafts queued.
    wait_for(lambda: broker_queue_length("gpu") == 0, timeout=30, what="the queue to drain", on_timeout=worker.log_tail)
    assert {d.status for d in Draft.objects.filter(image__in=ours)} == {DraftStatus.QUEUED}
    assert drafts_reconcile().clinics_paused == 1

    drafting_set_enabled(enabled=True, user=admin, reason="Audit done", organisation=clinician.organisation)
    settled = wait_for(lambda: _drafts_settled(ours), timeout=60, what="the paused clinic's backlog",
                       on_timeout=worker.log_tail)
    assert {d.status for d in settled} == {DraftStatus.READY}


def test_worker_reconciler_finishes_drafts_whose_messages_were_lost(
    clinician: Any, drafting_env: dict[str, str], start_worker: Any, settings: Any,
) -> None:
    images = _upload(clinician, count=2)
    assert broker_queue_length("gpu") == 2
    broker_purge("gpu")  # the broker loses every message (Redis flushed, queue folder wiped)
    assert broker_queue_length("gpu") == 0

    worker = start_worker("reconcile", drafting_env)
    assert {d.status for d in Draft.objects.filter(image__in=images)} == {DraftStatus.QUEUED}
    settings.DERMREVIEW_RECONCILE_QUEUED_AFTER_S = 0
    report = drafts_reconcile()
    assert report.resent == 2 and report.queued_overdue == 2
    settled = wait_for(lambda: _drafts_settled(images), timeout=60, what="the reconciled drafts to finish",
                       on_timeout=worker.log_tail)
    assert {d.status for d in settled} == {DraftStatus.READY}


def test_worker_kill9_mid_draft_ends_with_exactly_one_ready_draft(
    clinician: Any, drafting_env: dict[str, str], start_worker: Any, settings: Any,
) -> None:
    # Short limits so that the orphaned claim counts as stale soon, yet long enough for a draft on a busy CI host.
    limits = {"DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S": "20", "DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S": "22",
              "DERMREVIEW_RECONCILE_AFTER_S": "23", "CELERY_VISIBILITY_TIMEOUT_S": "24"}
    # The first worker holds its claim for seconds (waiting to fill a batch), so the kill lands mid-draft.
    slow_to_batch = {**drafting_env, **limits, "DERMREVIEW_BATCH_WAIT_MS": "5000",
                     "DERMREVIEW_DRAFT_BATCH_IDLE_MS": "5000"}
    first = start_worker("doomed", slow_to_batch)
    [image] = _upload(clinician)
    wait_for(lambda: Draft.objects.filter(image=image, status=DraftStatus.RUNNING).exists(), timeout=30,
             what="the draft to be claimed", on_timeout=first.log_tail, interval=0.02)
    first.kill9()
    assert Draft.objects.get(image=image).status == DraftStatus.RUNNING  # orphaned: its worker is gone

    second = start_worker("rescuer", {**drafting_env, **limits})
    settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S = 22
    settings.DERMREVIEW_RECONCILE_AFTER_S = 23
    settings.DERMREVIEW_DRAFT_RETRY_BACKOFF_S = 1

    def ready() -> bool:
        # The broker may redeliver the unacknowledged message (Redis); the reconciler requeues it in any case.
        drafts_reconcile()
        return Draft.objects.filter(image=image, status=DraftStatus.READY).exists()

    wait_for(ready, timeout=90, what="the orphaned draft to be finished", interval=1.0, on_timeout=second.log_tail)
    [draft] = Draft.objects.filter(image=image)
    assert draft.status == DraftStatus.READY
    assert draft.attempts >= 2  # the killed attempt counts


def test_worker_missing_model_fails_drafts_with_reason_and_site_keeps_serving(
    clinician: Any, drafting_env: dict[str, str], start_worker: Any, settings: Any, client: Any, tmp_path: Any,
) -> None:
    from inference_worker import WorkerConfig

    missing = str(tmp_path / "no-such-model")
    env = {**drafting_env, "DERMREVIEW_MODEL": missing}
    settings.DERMREVIEW_WORKER_CONFIG = WorkerConfig.from_env(env)
    worker = start_worker("nomodel", env)
    heartbeat = WorkerHeartbeat.objects.get(worker=worker.hostname)
    assert not heartbeat.model_loaded and "no-such-model" in heartbeat.last_error

    images = _upload(clinician, count=2)
    settled = wait_for(lambda: _drafts_settled(images), timeout=60, what="the drafts to fail",
                       on_timeout=worker.log_tail)
    for draft in settled:
        assert draft.status == DraftStatus.FAILED
        assert draft.failure_kind == FailureKind.MODEL_LOAD
        assert "no-such-model" in draft.failure_message
    # One clear error per process, however many drafts it fails.
    assert worker.log_tail(200_000).count("AI drafting is unavailable") == 1

    client.force_login(clinician)
    response = client.get(reverse("cases:detail", args=[images[0].case_id]))
    assert response.status_code == 200
    assert "Model could not be loaded" in response.content.decode()
