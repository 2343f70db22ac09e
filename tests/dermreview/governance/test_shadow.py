"""Shadow evaluation end to end with the tiny model: a real Celery worker (GPU and scoring queues), and the
in-process runner of `model_evaluate --sync`, which resumes a run whose worker died. Shadow drafts never become
`Draft` rows, so no page or API shows them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dermreview.drafting.models import Draft, ModelVersion
from dermreview.drafting.services.gating import model_version_bootstrap
from dermreview.governance.models import EvaluationItem, EvaluationRun, EvaluationStatus, ItemStatus
from dermreview.governance.services.evaluation import evaluation_send, evaluation_start
from dermreview.governance.services.local_run import evaluation_run_here
from dermreview.governance.services.versions import model_version_register
from tests.dermreview.governance.conftest import signed_cases
from tests.factories import UserFactory, api_key_for
from tests.worker_process import WorkerProcess, broker_purge, wait_for


def _candidate(tiny_model_path: Path, organisation: Any, admin: Any) -> ModelVersion:
    """The tiny model with JSON decoding: another identity than the configured (schema) one."""
    model_version_bootstrap()
    return model_version_register(user=admin, organisation=organisation, model=str(tiny_model_path),
                                  decoding="json", label="tiny, json decoding")


def _case_pages(client: Any, user: Any, case_ids: list[int]) -> list[str]:
    """The case pages as `user` sees them, without the per-request CSRF tokens."""
    client.force_login(user)
    pages = [client.get(reverse("cases:detail", args=[pk])).content.decode() for pk in case_ids]
    return [re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page) for page in pages]


def _api_view(user: Any, case_ids: list[int]) -> list[Any]:
    """What the API tells `user` about these cases (their images and drafts included)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return [client.get(f"/api/v1/cases/{pk}/").json() for pk in case_ids]


@pytest.mark.celery_worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_shadow_run_on_a_real_worker_finishes_with_figures_and_makes_no_drafts(
    drafting_env: dict[str, str], tiny_model_path: Path, tmp_path: Path, client: Any,
) -> None:
    broker_purge("gpu")
    broker_purge("scoring")
    admin = UserFactory(username="adam", roles=["clinic_admin"])
    reviewer = UserFactory(username="bob", organisation=admin.organisation, roles=["reviewer"])
    reviews = signed_cases(admin.organisation, 3)
    candidate = _candidate(tiny_model_path, admin.organisation, admin)
    case_ids = [r.case_id for r in reviews]
    before, pages_before = _api_view(reviewer, case_ids), _case_pages(client, reviewer, case_ids)

    worker = WorkerProcess(name="shadow", log_dir=tmp_path / "logs", env=drafting_env, queues="gpu,scoring").start()
    try:
        worker.wait_ready()
        run = evaluation_start(candidate=candidate, organisation=admin.organisation,
                               since=timezone.now().date() - timedelta(days=1), limit=None, user=admin)
        finished = wait_for(lambda: EvaluationRun.objects.filter(pk=run.pk, status__in=[
            EvaluationStatus.FINISHED, EvaluationStatus.FAILED]).first(), timeout=300,
            what="the evaluation to finish", on_timeout=worker.log_tail)
    finally:
        worker.kill9()
    assert finished.status == EvaluationStatus.FINISHED, finished.error
    assert (finished.done, finished.total, finished.cases) == (6, 6, 3)
    results = finished.results
    assert results["photos"] == 3 and results["baseline"]["photos"] == 3
    drafted = results["candidate"]["drafted"]
    assert results["candidate"]["fields"]["summary"]["n"] == drafted
    assert drafted + sum(results["candidate"]["failures"].values()) == 3
    assert set(results["differences"]) >= {"lesion_type", "overall"}
    assert results["scorer"]["model"] == settings.BERTSCORE_MODEL
    assert not EvaluationItem.objects.filter(run=finished).exclude(status=ItemStatus.DONE).exists()
    # Shadow drafts are nowhere a draft: no Draft row, and the API shows the cases exactly as before.
    assert not Draft.objects.exists()
    assert _api_view(reviewer, case_ids) == before
    assert _case_pages(client, reviewer, case_ids) == pages_before
    client.force_login(admin)
    progress = client.get(reverse("governance:run_progress", args=[run.pk])).json()
    assert (progress["status"], progress["done"], progress["in_progress"]) == ("finished", 6, False)


@pytest.mark.slow
@pytest.mark.django_db
def test_sync_run_resumes_from_the_items_a_dead_worker_held(
    drafting_env: dict[str, str], tiny_model_path: Path, adam: Any, clinic: Any,
) -> None:
    signed_cases(clinic, 2, photos=2)
    candidate = _candidate(tiny_model_path, clinic, adam)
    run = evaluation_start(candidate=candidate, organisation=clinic, since=timezone.now().date(), limit=None,
                           user=adam, send=False)
    # A worker claimed two items and died an hour ago.
    held = list(run.items.order_by("pk").values_list("pk", flat=True)[:2])
    EvaluationItem.objects.filter(pk__in=held).update(status=ItemStatus.CLAIMED, claim_token="dead",
                                                      claimed_at=timezone.now() - timedelta(hours=1))
    finished = evaluation_run_here(run_id=run.pk)
    assert finished.status == EvaluationStatus.FINISHED and finished.done == finished.total == 8
    assert EvaluationItem.objects.filter(pk__in=held, status=ItemStatus.DONE).count() == 2
    scored = EvaluationItem.objects.filter(run=run, finding__isnull=False)
    assert all(set(item.scores) == set(item.exact) and item.scored_at for item in scored)
    assert not Draft.objects.exists()
    # A second run finds nothing to do and changes nothing.
    assert evaluation_run_here(run_id=run.pk).results == finished.results


@pytest.mark.slow
@pytest.mark.django_db
def test_model_evaluate_command_sync_prints_the_figures(
    drafting_env: dict[str, str], tiny_model_path: Path, adam: Any, clinic: Any, capsys: Any,
) -> None:
    signed_cases(clinic, 1)
    candidate = _candidate(tiny_model_path, clinic, adam)
    call_command("model_evaluate", "--candidate", str(candidate.pk), "--since", "2000-01-01", "--sync")
    out = capsys.readouterr().out
    run = EvaluationRun.objects.get(candidate=candidate)
    assert f"evaluation {run.pk}: 1 cases, 2 drafts to make" in out and f"evaluation {run.pk} finished" in out
    assert "lesion_type  candidate" in out


@pytest.mark.django_db
def test_evaluation_chunks_are_sent_to_the_gpu_queue_below_live_drafting(
    django_capture_on_commit_callbacks: Any,
) -> None:
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("reads the message files of the filesystem broker")
    broker_purge("gpu")
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_send(run_id=424242)
    try:
        [message] = [json.loads(path.read_text()) for path in folder.glob("*.gpu.msg")]
    finally:
        broker_purge("gpu")
    assert message["headers"]["task"] == "dermreview.governance.tasks.evaluation_draft"
    assert message["properties"]["priority"] == 9
