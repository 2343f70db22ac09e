"""An evaluation's life without a worker: what it selects, a model that cannot load, cancel, resume, the commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import ModelVersion
from dermreview.governance.models import (
    EvaluationItem,
    EvaluationRun,
    EvaluationSide,
    EvaluationStatus,
    ItemStatus,
)
from dermreview.governance.services.evaluation import evaluation_cancel, evaluation_resume, evaluation_start
from dermreview.governance.services.shadow import evaluation_draft_chunk
from dermreview.review.models import Review
from tests.dermreview.governance.conftest import candidate_version, signed_cases

pytestmark = pytest.mark.django_db


def _start(candidate: ModelVersion, organisation: Any, user: Any, **kwargs: Any) -> EvaluationRun:
    return evaluation_start(candidate=candidate, organisation=organisation, user=user,
                            since=kwargs.pop("since", timezone.now().date() - timedelta(days=7)),
                            limit=kwargs.pop("limit", None), send=False)


def test_evaluation_takes_the_latest_final_findings_and_their_usable_photos(
    default_version: Any, adam: Any, clinic: Any, other_clinic: Any,
) -> None:
    old, *recent = signed_cases(clinic, 4, photos=2)
    Review.objects.filter(pk=old.pk).update(signed_at=timezone.now() - timedelta(days=30))
    recent[0].case.images.filter(pk=recent[0].case.images.first().pk).update(ungradable_at=timezone.now())
    signed_cases(other_clinic, 2)  # never another clinic's
    candidate = candidate_version(clinic)
    run = _start(candidate, clinic, adam, limit=2)
    # The latest two recent cases (limit), each photo once per version; the old case is out of range.
    assert (run.cases, run.total, run.baseline) == (2, 8, default_version)
    cases = set(run.items.values_list("review__case_id", flat=True))
    assert cases == {recent[2].case_id, recent[1].case_id}
    item = run.items.filter(side=EvaluationSide.CANDIDATE).first()
    assert item.truth["lesion_type"] == "melanocytic nevus" and item.true_class == "naevus"
    everything = _start(candidate, clinic, adam)
    assert (everything.cases, everything.total) == (3, 10)  # the ungradable photo is left out
    event = AuditEvent.objects.filter(action="evaluation.start").latest("sequence")
    assert event.details["cases"] == 3 and event.organisation_id == clinic.pk


def test_evaluation_is_refused_without_cases_for_the_approved_version_and_for_outsiders(
    default_version: Any, adam: Any, hana: Any, carol: Any, clinic: Any,
) -> None:
    candidate = candidate_version(clinic)
    with pytest.raises(ValidationError, match="No final case"):
        _start(candidate, clinic, adam)
    signed_cases(clinic, 1)
    with pytest.raises(ValidationError, match="already the approved one"):
        _start(default_version, clinic, adam)
    for outsider in (hana, carol):
        with pytest.raises(PermissionDenied):
            _start(candidate, clinic, outsider)


def test_a_model_that_cannot_load_fails_the_run_with_the_reason_and_resume_carries_on(
    default_version: Any, adam: Any, clinic: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any,
) -> None:
    signed_cases(clinic, 2)
    candidate = candidate_version(clinic, model=str(tmp_path / "no-such-model"), model_id="local:no-such-model")
    run = _start(candidate, clinic, adam)
    outcome = evaluation_draft_chunk(run_id=run.pk, claim_token="task-1")
    run.refresh_from_db()
    assert outcome.stopped == "model cannot load" and run.status == EvaluationStatus.FAILED
    assert "The candidate model could not be used" in run.error and "no-such-model" in run.error
    assert not run.items.exclude(status=ItemStatus.PENDING).exists()  # nothing held, nothing lost
    assert AuditEvent.objects.filter(action="evaluation.fail").exists()
    with django_capture_on_commit_callbacks() as sent:
        evaluation_resume(run=run, user=adam)
    run.refresh_from_db()
    assert run.status == EvaluationStatus.QUEUED and run.error == "" and len(sent) == 1


def test_cancel_stops_a_run_and_its_next_chunk_does_nothing(default_version: Any, adam: Any, clinic: Any) -> None:
    signed_cases(clinic, 1)
    run = _start(candidate_version(clinic), clinic, adam)
    evaluation_cancel(run=run, user=adam)
    outcome = evaluation_draft_chunk(run_id=run.pk, claim_token="late-task")
    assert outcome.stopped == "the evaluation is cancelled"
    assert not EvaluationItem.objects.filter(run=run).exclude(status=ItemStatus.PENDING).exists()
    with pytest.raises(ValidationError):
        evaluation_cancel(run=run, user=adam)
    with pytest.raises(ValidationError, match="Only a failed or stalled"):
        evaluation_resume(run=run, user=adam)


def test_commands_register_and_queue_an_evaluation(default_version: Any, clinic: Any, capsys: Any) -> None:
    signed_cases(clinic, 1)
    call_command("model_version_register", "--model", "org/cli-model", "--revision", "abc", "--decoding", "json",
                 "--organisation", clinic.slug)
    version = ModelVersion.objects.get(model_id="org/cli-model")
    assert version.organisation == clinic and version.prompt_version.endswith("/json")
    call_command("model_evaluate", "--candidate", str(version.pk), "--since", "2000-01-01", "--limit", "5")
    assert "queued; follow it on the governance page" in capsys.readouterr().out
    assert EvaluationRun.objects.get(candidate=version).status == EvaluationStatus.QUEUED
    installation = candidate_version(None, model_id="org/everyone")
    with pytest.raises(CommandError, match="needs --organisation"):
        call_command("model_evaluate", "--candidate", str(installation.pk), "--since", "2000-01-01")


def test_beat_resumes_a_run_whose_message_was_lost(
    default_version: Any, adam: Any, clinic: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    from dermreview.governance.services.evaluation import evaluation_runs_resume_stalled

    signed_cases(clinic, 1)
    run = _start(candidate_version(clinic), clinic, adam)
    _start(candidate_version(clinic, model_id="org/fresh"), clinic, adam)  # touched recently: left alone
    assert evaluation_runs_resume_stalled() == []  # both touched just now: their messages may still be queued
    EvaluationRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert evaluation_runs_resume_stalled() == [run.pk]
    assert len(sent) == 1  # the next chunk is sent again, once, after the commit; `fresh` is left alone
    run.refresh_from_db()
    assert run.updated_at > timezone.now() - timedelta(minutes=1)
    event = AuditEvent.objects.filter(action="evaluation.resume").latest("sequence")
    assert event.actor_id is None and event.details["stalled"] is True
