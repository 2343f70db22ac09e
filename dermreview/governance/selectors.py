"""What the governance pages show: model versions, shadow evaluations, approvals, and the paused-drafting banner.

Reads only: showing a page writes nothing (not even the bootstrap version, which drafting registers when it first
asks; until then the configured model counts as approved, as the bootstrap would make it).
Every list is narrowed to what the viewer may see: their clinic's and the installation's versions and approvals, their
clinic's evaluations; an operator sees all of them (figures and configurations, never a photo or a finding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from dermreview.accounts.models import Organisation
from dermreview.accounts.roles import is_clinic_admin, is_operator
from dermreview.drafting.models import FINDING_FIELDS, ModelVersion, ModelVersionStatus, identity_key
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.drafting.services.gating import version_approved
from dermreview.drafting.services.identity import ModelIdentity, model_identity
from dermreview.governance.models import Approval, EvaluationRun, EvaluationStatus
from dermreview.governance.services.approval import GateCheck, approval_refusal, gate_checks
from dermreview.governance.services.evaluation import evaluation_refusal
from dermreview.governance.services.summary import OVERALL
from dermreview.governance.services.versions import version_scope_refusal

RECENT = 20


@dataclass(frozen=True)
class VersionRow:
    version: ModelVersion
    is_configured: bool  # the model the workers are configured with now
    can_manage: bool  # this viewer may approve or withdraw it
    finished_runs: tuple[EvaluationRun, ...]  # the runs an approval of it could name


@dataclass(frozen=True)
class ApprovalRow:
    approval: Approval
    decided_by: str  # who decided, as this viewer may see it


def approval_rows(approvals: Any, *, viewer: Any) -> tuple[ApprovalRow, ...]:
    """Each approval with its decider's name, or, for an operator outside the viewer's clinic, their role only."""
    rows = []
    for approval in approvals:
        decider = approval.decided_by
        if decider is None:
            label = "the system (bootstrap)"
        elif decider.organisation_id == getattr(viewer, "organisation_id", None) or is_operator(viewer):
            label = str(decider)
        else:
            label = "an operator of this installation"
        rows.append(ApprovalRow(approval=approval, decided_by=label))
    return tuple(rows)


@dataclass(frozen=True)
class GovernanceVersions:
    configured: ModelIdentity
    configured_approved: bool  # for the viewer's clinic (an operator without one: the installation default)
    clinic_version: ModelVersion | None  # the viewer's clinic's own active version
    installation_default: ModelVersion | None
    candidates: tuple[VersionRow, ...]
    runs: tuple[EvaluationRun, ...]
    approvals: tuple[ApprovalRow, ...]
    can_register_clinic: bool
    can_register_installation: bool
    can_evaluate: bool
    organisations: tuple[Organisation, ...]  # the clinics an operator may evaluate on

    @property
    def approved_for_viewer(self) -> ModelVersion | None:
        return self.clinic_version or self.installation_default


def governance_versions(*, viewer: Any) -> GovernanceVersions:
    """The versions section of the governance page, for `viewer`."""
    configured = model_identity()
    organisation_id = viewer.organisation_id
    versions = list(ModelVersion.objects.visible_to(viewer).exclude(status=ModelVersionStatus.RETIRED)
                    .select_related("organisation"))
    active = {v.organisation_id: v for v in versions if v.status == ModelVersionStatus.ACTIVE}
    runs = list(EvaluationRun.objects.visible_to(viewer).select_related("candidate", "baseline", "organisation")
                [:RECENT])
    finished: dict[int, list[EvaluationRun]] = {}
    for run in runs:
        if run.status == EvaluationStatus.FINISHED:
            finished.setdefault(run.candidate_id, []).append(run)
    key = identity_key(configured)
    candidates = tuple(
        VersionRow(version=v, is_configured=v.identity_key == key,
                   can_manage=not version_scope_refusal(user=viewer, organisation_id=v.organisation_id),
                   finished_runs=tuple(finished.get(v.pk, ())))
        for v in versions if v.status == ModelVersionStatus.CANDIDATE
    )
    approved = (version_approved(organisation_id=organisation_id, identity=configured, bootstrap=False)
                if organisation_id else (active[None].identity_key == key if None in active else not versions))
    operator = is_operator(viewer)
    return GovernanceVersions(
        configured=configured, configured_approved=approved,
        clinic_version=active.get(organisation_id) if organisation_id else None,
        installation_default=active.get(None), candidates=candidates, runs=tuple(runs),
        approvals=approval_rows(Approval.objects.visible_to(viewer).select_related(
            "version", "previous", "run", "decided_by", "organisation")[:RECENT], viewer=viewer),
        can_register_clinic=is_clinic_admin(viewer), can_register_installation=operator,
        can_evaluate=operator or (organisation_id is not None
                                  and not evaluation_refusal(user=viewer, organisation_id=organisation_id)),
        organisations=tuple(Organisation.objects.order_by("name")) if operator else (),
    )


@dataclass(frozen=True)
class FieldComparison:
    field: str
    label: str
    candidate: dict[str, Any] | None
    baseline: dict[str, Any] | None
    difference: dict[str, Any] | None

    @property
    def interval_crosses_margin(self) -> bool:
        """The difference's interval does not exclude a drop beyond the gate's margin (non-inferiority not shown)."""
        low = (self.difference or {}).get("low")
        return low is not None and low < -settings.DERMREVIEW_GATE_MARGIN


@dataclass(frozen=True)
class RunDetail:
    run: EvaluationRun
    fields: tuple[FieldComparison, ...]
    failures: tuple[tuple[str, int, int | None], ...]  # (kind, candidate count, baseline count)
    checks: tuple[GateCheck, ...]
    approval_refusal: str  # why no approval may rest on this run ("" when one may)
    can_approve: bool
    can_manage_run: bool
    approvals: tuple[ApprovalRow, ...]


def run_detail(*, run: EvaluationRun, viewer: Any) -> RunDetail:
    results = run.results or {}
    candidate, baseline = results.get("candidate") or {}, results.get("baseline") or {}
    differences = results.get("differences") or {}
    rows = tuple(
        FieldComparison(
            field=name, label=FIELD_LABELS.get(name, "Overall (all fields pooled)"),
            candidate=(candidate.get("fields", {}).get(name) if name != OVERALL else candidate.get(OVERALL)),
            baseline=(baseline.get("fields", {}).get(name) if name != OVERALL else baseline.get(OVERALL)),
            difference=differences.get(name),
        )
        for name in (*FINDING_FIELDS, OVERALL)
    ) if results else ()
    kinds = sorted({*candidate.get("failures", {}), *baseline.get("failures", {})})
    failures = tuple((kind, candidate.get("failures", {}).get(kind, 0),
                      baseline.get("failures", {}).get(kind, 0) if baseline else None) for kind in kinds)
    version = run.candidate
    finished = run.status == EvaluationStatus.FINISHED
    return RunDetail(
        run=run, fields=rows, failures=failures, checks=tuple(gate_checks(run)) if finished else (),
        approval_refusal=approval_refusal(version=version, run=run),
        can_approve=not version_scope_refusal(user=viewer, organisation_id=version.organisation_id),
        can_manage_run=not evaluation_refusal(user=viewer, organisation_id=run.organisation_id),
        approvals=approval_rows(run.approvals.select_related("decided_by", "version"), viewer=viewer),
    )


def run_progress(run: EvaluationRun) -> dict[str, Any]:
    """The live progress the run list polls (`static/js/governance.js`)."""
    return {
        "id": run.pk, "status": run.status, "status_label": run.get_status_display(), "done": run.done,
        "total": run.total, "percent": run.percent, "in_progress": run.in_progress, "error": run.error,
        "detail_url": reverse("governance:run_detail", args=[run.pk]),
    }


def paused_banner(*, user: Any) -> str:
    """The banner for a clinic whose configured model is not its approved version; "" when drafting may run.

    Shown to everyone of that clinic (clinicians and reviewers see their AI drafts wait), and to operators while the
    installation default is not the configured model. One or two small queries per page.
    """
    if user is None or not user.is_authenticated:
        return ""
    configured = model_identity()
    organisation_id = getattr(user, "organisation_id", None)
    if organisation_id is not None:
        if version_approved(organisation_id=organisation_id, identity=configured, bootstrap=False):
            return ""
    elif not is_operator(user) or not ModelVersion.objects.exists() or ModelVersion.objects.active().filter(
            Q(organisation__isnull=True)).with_identity(configured).exists():
        return ""
    return (f"AI drafting is paused: the configured model {configured.model_id} @ {configured.model_revision} "
            f"(prompt {configured.prompt_version}) is not approved for "
            f"{'this clinic' if organisation_id else 'the installation'}; an administrator must evaluate and "
            "approve it on the governance page.")


def approval_history(*, organisation_id: int, viewer: Any) -> tuple[ApprovalRow, ...]:
    """The approvals that decided which model drafts for a clinic (its own and the installation's), latest first."""
    approvals = Approval.objects.for_clinic(organisation_id).select_related("version", "run", "decided_by",
                                                                            "organisation")[:RECENT]
    return approval_rows(approvals, viewer=viewer)
