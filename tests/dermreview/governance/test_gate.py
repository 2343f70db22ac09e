"""The approval gate: refuses without a finished run of this version, accepts a good one, records overrides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import ModelVersion, ModelVersionStatus
from dermreview.governance.models import Approval, ApprovalKind, EvaluationRun, EvaluationStatus
from dermreview.governance.services.approval import GateRefused, model_version_approve
from tests.dermreview.governance.conftest import candidate_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_gate(settings: Any) -> None:
    settings.DERMREVIEW_GATE_MIN_CASES = 5
    settings.DERMREVIEW_GATE_MARGIN = 0.02
    settings.DERMREVIEW_GATE_RATE_MARGIN = 0.02


def test_gate_refuses_without_a_run(default_version: Any, adam: Any, clinic: Any) -> None:
    candidate = candidate_version(clinic)
    with pytest.raises(GateRefused, match="must name a finished evaluation"):
        model_version_approve(version=candidate, run=None, user=adam, override_reason="trust me")
    candidate.refresh_from_db()
    assert candidate.status == ModelVersionStatus.CANDIDATE and not Approval.objects.exclude(kind="bootstrap")


def test_gate_refuses_an_unfinished_run_and_a_run_of_another_version(
    default_version: Any, adam: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    candidate, other = candidate_version(clinic), candidate_version(clinic, model_id="org/other")
    run = finished_run(candidate, clinic)
    EvaluationRun.objects.filter(pk=run.pk).update(status=EvaluationStatus.SCORING)
    run.refresh_from_db()
    with pytest.raises(GateRefused, match="scoring, not finished"):
        model_version_approve(version=candidate, run=run, user=adam, override_reason="urgent")
    with pytest.raises(GateRefused, match="another version"):
        model_version_approve(version=other, run=finished_run(candidate, clinic), user=adam)


def test_gate_refuses_too_few_cases_unless_overridden(
    default_version: Any, adam: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    candidate = candidate_version(clinic)
    run = finished_run(candidate, clinic, cases=3)
    with pytest.raises(GateRefused, match="3 cases evaluated; the gate needs at least 5") as refused:
        model_version_approve(version=candidate, run=run, user=adam)
    assert [check.name for check in refused.value.checks] == ["cases"]
    approval = model_version_approve(version=candidate, run=run, user=adam,
                                     override_reason="Pilot clinic: all 3 signed cases reviewed by hand.")
    assert approval.kind == ApprovalKind.OVERRIDE and approval.failed_checks == [
        "3 cases evaluated; the gate needs at least 5."]


def test_gate_refuses_a_field_worse_beyond_the_margin_and_a_higher_failure_rate(
    default_version: Any, adam: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    candidate = candidate_version(clinic)
    worse = finished_run(candidate, clinic, candidate_f1=0.85, baseline_f1=0.9)
    with pytest.raises(GateRefused) as refused:
        model_version_approve(version=candidate, run=worse, user=adam)
    failed = {check.name for check in refused.value.checks}
    assert {"f1:lesion_type", "f1:summary"} <= failed and "cases" not in failed
    assert "Lesion type: mean F1 -0.050 against the active version" in refused.value.message
    failing = finished_run(candidate, clinic, candidate_failures=1)  # 1 of 5 photos failed: 20 % against 0 %
    with pytest.raises(GateRefused, match="Failure rate 20.0% against 0.0%"):
        model_version_approve(version=candidate, run=failing, user=adam)
    # Within the margin is not worse.
    slightly = finished_run(candidate, clinic, candidate_f1=0.885, baseline_f1=0.9)
    assert model_version_approve(version=candidate, run=slightly, user=adam).kind == ApprovalKind.GATE


def test_gate_accepts_a_good_run_retires_the_previous_version_and_audits(
    default_version: Any, adam: Any, clinic: Any, other_clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    own = candidate_version(clinic, model_id="org/first")
    model_version_approve(version=own, run=finished_run(own, clinic), user=adam)
    newer = candidate_version(clinic, model_id="org/second")
    run = finished_run(newer, clinic, candidate_f1=0.92, baseline_f1=0.9)
    approval = model_version_approve(version=newer, run=run, user=adam)

    own.refresh_from_db()
    newer.refresh_from_db()
    assert (newer.status, own.status) == (ModelVersionStatus.ACTIVE, ModelVersionStatus.RETIRED)
    assert ModelVersion.objects.approved_for(clinic.pk) == newer
    assert ModelVersion.objects.approved_for(other_clinic.pk) == default_version  # the default is untouched
    assert (approval.kind, approval.run, approval.previous, approval.decided_by) == (ApprovalKind.GATE, run, own, adam)
    assert approval.figures["cases"] == 5 and approval.figures["gate"]["min_cases"] == 5
    event = AuditEvent.objects.filter(action="model_version.approve").latest("sequence")
    assert event.organisation_id == clinic.pk and event.details["run_id"] == run.pk
    assert event.details["previous_version"] == own.pk


def test_override_is_recorded_with_its_reason_and_audited_as_an_override(
    default_version: Any, adam: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    candidate = candidate_version(clinic)
    run = finished_run(candidate, clinic, candidate_f1=0.8, baseline_f1=0.9)
    approval = model_version_approve(version=candidate, run=run, user=adam,
                                     override_reason="  Active model recalled by the vendor;\u00a0accepting lower summary scores. ")
    assert approval.kind == ApprovalKind.OVERRIDE and approval.is_override
    assert approval.override_reason == "Active model recalled by the vendor; accepting lower summary scores."
    assert len(approval.failed_checks) == 6  # every field fell by 0.1
    event = AuditEvent.objects.get(action="model_version.override")
    assert event.actor_id == adam.pk and event.details["override_reason"] == approval.override_reason
    assert len(event.details["failed_checks"]) == 6


def test_gate_refuses_a_run_whose_baseline_is_no_longer_active(
    default_version: Any, adam: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    first, second = candidate_version(clinic, model_id="org/a"), candidate_version(clinic, model_id="org/b")
    stale = finished_run(second, clinic)  # measured against the installation default
    model_version_approve(version=first, run=finished_run(first, clinic), user=adam)
    with pytest.raises(GateRefused, match="active version has changed"):
        model_version_approve(version=second, run=stale, user=adam, override_reason="anyway")


def test_who_may_approve(
    default_version: Any, adam: Any, hana: Any, carol: Any, oscar: Any, clinic: Any,
    finished_run: Callable[..., EvaluationRun],
) -> None:
    clinic_candidate = candidate_version(clinic)
    run = finished_run(clinic_candidate, clinic)
    for outsider in (hana, carol, oscar):  # another clinic's admin, an auditor, an operator (clinic versions)
        with pytest.raises(PermissionDenied):
            model_version_approve(version=clinic_candidate, run=run, user=outsider)
    installation = candidate_version(None, model_id="org/everyone")
    installation_run = finished_run(installation, clinic)
    with pytest.raises(PermissionDenied):
        model_version_approve(version=installation, run=installation_run, user=adam)
    approval = model_version_approve(version=installation, run=installation_run, user=oscar)
    assert approval.organisation is None and ModelVersion.objects.approved_for(None) == installation
    # An installation approval is in every clinic's trail.
    assert AuditEvent.objects.filter(action="model_version.approve").count() == 2
