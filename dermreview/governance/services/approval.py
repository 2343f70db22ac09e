"""The approval gate: the one way a model version becomes active for a clinic or for the installation.

An approval names a finished shadow evaluation of the version (`EvaluationRun`). Refused outright, with no override
(`GateRefused`): no run, a run of another version or another clinic, a run not finished, a version that is not a
candidate, and a run whose baseline is no longer the version it would replace (evaluate again). Refused unless an
override reason is given, when the figures fail a check:

- fewer than DERMREVIEW_GATE_MIN_CASES cases;
- any field's mean F1 more than DERMREVIEW_GATE_MARGIN below the active version's (paired, on the same photos);
- a failure rate more than DERMREVIEW_GATE_RATE_MARGIN above the active version's, or a high-risk sensitivity more
  than that below it.

The gate compares point estimates, as the policy states it; the run page also shows each difference's 95% interval
and says when it does not exclude a drop beyond the margin. An approval retires the version it replaces, records
who, when, the run, a snapshot of the figures and of the gate's settings, the checks that failed and the override
reason, audits it (`model_version.approve` or `model_version.override`), and sends the drafts that waited for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dermreview.common.text import normalise_text
from dermreview.drafting.models import FINDING_FIELDS, ModelVersion, ModelVersionStatus
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.drafting.services.queueing import drafts_send_backlog
from dermreview.governance.models import Approval, ApprovalKind, EvaluationRun, EvaluationStatus
from dermreview.governance.services.evaluation import baseline_for
from dermreview.governance.services.versions import (
    audit_version_event,
    version_details,
    version_scope_refusal,
)


class GateRefused(Exception):  # noqa: N818 - a refusal the page shows, not a programming error
    """The gate refuses this approval; `message` says why in one paragraph, `checks` lists the failed checks."""

    def __init__(self, message: str, *, checks: Sequence[GateCheck] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.checks = tuple(checks)


@dataclass(frozen=True, slots=True)
class GateCheck:
    name: str
    passed: bool
    message: str


def _figure(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def gate_checks(run: EvaluationRun) -> list[GateCheck]:
    """The overridable checks of a finished run's figures, each passed or failed with a sentence."""
    results = run.results or {}
    minimum = settings.DERMREVIEW_GATE_MIN_CASES
    cases = int(results.get("cases") or 0)
    checks = [GateCheck("cases", cases >= minimum, f"{cases} case{'s' if cases != 1 else ''} evaluated; the gate "
                                                   f"needs at least {minimum}.")]
    if not results.get("baseline"):
        return [*checks, GateCheck("baseline", True, "No active version to compare with.")]
    margin = settings.DERMREVIEW_GATE_MARGIN
    for name in FINDING_FIELDS:
        difference = _figure(results, "differences", name, "mean")
        if difference is None:
            checks.append(GateCheck(f"f1:{name}", False, f"{FIELD_LABELS[name]}: no photo both versions drafted."))
            continue
        checks.append(GateCheck(f"f1:{name}", difference >= -margin,
                                f"{FIELD_LABELS[name]}: mean F1 {difference:+.3f} against the active version "
                                f"(allowed down to −{margin:.3f})."))
    rate_margin = settings.DERMREVIEW_GATE_RATE_MARGIN
    failures = [_figure(results, side, "failure_rate", "value") for side in ("candidate", "baseline")]
    if None not in failures:
        rise = failures[0] - failures[1]
        checks.append(GateCheck("failure_rate", rise <= rate_margin,
                                f"Failure rate {failures[0]:.1%} against {failures[1]:.1%} "
                                f"(allowed up to +{rate_margin:.1%})."))
    sensitivity = [_figure(results, side, "classes", "high_risk", "sensitivity", "value")
                   for side in ("candidate", "baseline")]
    if None not in sensitivity:
        drop = sensitivity[1] - sensitivity[0]
        checks.append(GateCheck("high_risk_sensitivity", drop <= rate_margin,
                                f"High-risk sensitivity {sensitivity[0]:.1%} against {sensitivity[1]:.1%} "
                                f"(allowed down to −{rate_margin:.1%})."))
    return checks


def approval_refusal(*, version: ModelVersion, run: EvaluationRun | None) -> str:
    """Why no approval of `version` may rest on `run`, override or not; "" when it may."""
    if version.status != ModelVersionStatus.CANDIDATE:
        return f"Only a candidate can be approved; this version is {version.get_status_display().lower()}."
    if run is None:
        return "An approval must name a finished evaluation of this version: run one first."
    if run.candidate_id != version.pk:
        return "That evaluation is of another version."
    if version.organisation_id is not None and run.organisation_id != version.organisation_id:
        return "That evaluation was run on another clinic's cases."
    if run.status != EvaluationStatus.FINISHED:
        return f"That evaluation is {run.get_status_display().lower()}, not finished."
    current = baseline_for(candidate=version, organisation_id=run.organisation_id)
    if (current.pk if current else None) != run.baseline_id:
        return "The active version has changed since this evaluation began: evaluate again against the new one."
    return ""


@transaction.atomic
def model_version_approve(*, version: ModelVersion, run: EvaluationRun | None, user: Any,
                          override_reason: str = "") -> Approval:
    """Make `version` the active one of its scope, if the gate allows it (see the module docstring)."""
    if refusal := version_scope_refusal(user=user, organisation_id=version.organisation_id):
        raise PermissionDenied(refusal)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    run = EvaluationRun.objects.filter(pk=run.pk).first() if run is not None else None
    if refusal := approval_refusal(version=version, run=run):
        raise GateRefused(refusal)
    assert run is not None
    reason = normalise_text(override_reason or "", field="override_reason", multiline=True).strip()
    failed = [check for check in gate_checks(run) if not check.passed]
    if failed and not reason:
        raise GateRefused("The gate refuses this version: " + " ".join(check.message for check in failed)
                          + " Approve it only with an override reason, which is recorded and audited.", checks=failed)
    previous = ModelVersion.objects.select_for_update().active().for_scope(version.organisation_id).first()
    now = timezone.now()
    if previous is not None:
        previous.assert_transition(ModelVersionStatus.RETIRED)
        ModelVersion.objects.filter(pk=previous.pk).update(status=ModelVersionStatus.RETIRED, retired_at=now)
    version.assert_transition(ModelVersionStatus.ACTIVE)
    version.status, version.activated_at = ModelVersionStatus.ACTIVE, now
    version.save(update_fields=["status", "activated_at"])
    approval = Approval.objects.create(
        organisation=version.organisation, version=version, previous=previous, run=run,
        kind=ApprovalKind.OVERRIDE if failed else ApprovalKind.GATE, override_reason=reason if failed else "",
        note="" if failed else reason, failed_checks=[check.message for check in failed], decided_by=user,
        figures=_snapshot(run),
    )
    audit_version_event(action="model_version.override" if failed else "model_version.approve", user=user,
                        obj=approval, organisation=version.organisation, details={
                            **version_details(version), "approval_id": approval.pk, "run_id": run.pk,
                            "previous_version": previous.pk if previous else None,
                            "failed_checks": approval.failed_checks, "override_reason": approval.override_reason,
                        })
    # The drafts that waited for this version (if the workers are configured with it) go now.
    drafts_send_backlog(organisation_id=version.organisation_id)
    return approval


def _snapshot(run: EvaluationRun) -> dict[str, Any]:
    """The figures the decision was taken on, and the gate's settings then."""
    results = run.results or {}
    return {
        "cases": results.get("cases"), "photos": results.get("photos"), "unit": results.get("unit"),
        "scorer": results.get("scorer"), "candidate": results.get("candidate"), "baseline": results.get("baseline"),
        "differences": results.get("differences"),
        "gate": {"min_cases": settings.DERMREVIEW_GATE_MIN_CASES, "margin": settings.DERMREVIEW_GATE_MARGIN,
                 "rate_margin": settings.DERMREVIEW_GATE_RATE_MARGIN},
    }
