"""Registering, approving and withdrawing model versions (POSTs from the governance and evaluation pages)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dermreview.accounts.models import Organisation
from dermreview.governance.forms import INSTALLATION, ApproveForm, ReasonForm, RegisterVersionForm
from dermreview.governance.models import EvaluationStatus
from dermreview.governance.selectors import governance_versions, run_detail
from dermreview.governance.services.approval import GateRefused, model_version_approve
from dermreview.governance.services.versions import (
    model_version_register,
    model_version_withdraw,
    require_governance_viewer,
)
from dermreview.governance.views.common import get_run_for_user, get_version_for_user, register_scopes

_PAGE = "oversight:governance"


def form_errors(form: forms.Form) -> str:
    """A form's errors as one line for a message."""
    return " ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())


@require_POST
def version_register(request: HttpRequest) -> HttpResponse:
    """Register a candidate for this clinic (its administrators) or the installation (operators)."""
    require_governance_viewer(request.user)
    form = RegisterVersionForm(request.POST, scopes=register_scopes(request.user,
                                                                    governance_versions(viewer=request.user)))
    if not form.is_valid():
        messages.error(request, f"The version was not registered. {form_errors(form)}")
        return redirect(_PAGE)
    data = form.cleaned_data
    scope = data.pop("scope")
    organisation = None if scope == INSTALLATION else Organisation.objects.get(pk=int(scope))
    try:
        version = model_version_register(user=request.user, organisation=organisation, **data)
    except ValidationError as exc:
        messages.error(request, f"The version was not registered: {' '.join(exc.messages)}")
        return redirect(_PAGE)
    messages.success(request, f"Candidate version {version.pk} registered ({version}). Evaluate it before approving.")
    return redirect(_PAGE)


@require_POST
def version_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve a candidate on a finished evaluation; the gate's refusal is shown on the evaluation's page."""
    version = get_version_for_user(request.user, pk)
    runs = version.evaluations.filter(status=EvaluationStatus.FINISHED)
    form = ApproveForm(request.POST, runs=runs)
    if not form.is_valid():
        messages.error(request, f"Not approved. {form_errors(form)}")
        return redirect(_PAGE)
    run = form.cleaned_data["run"]
    try:
        model_version_approve(version=version, run=run, user=request.user,
                              override_reason=form.cleaned_data["override_reason"])
    except GateRefused as refusal:
        if run is None:
            messages.error(request, f"Not approved: {refusal.message}")
            return redirect(_PAGE)
        run = get_run_for_user(request.user, run.pk)
        return render(request, "governance/run_detail.html", {
            "detail": run_detail(run=run, viewer=request.user), "refusal": refusal, "approve_form": form,
        }, status=409)
    messages.success(request, f"Version {version.pk} approved: it is now the active version for "
                              f"{version.scope_label}. The approval is audited.")
    return redirect(_PAGE)


@require_POST
def version_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not withdrawn. {form_errors(form)}")
        return redirect(_PAGE)
    try:
        model_version_withdraw(version=version, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_PAGE)
    messages.success(request, f"Candidate version {version.pk} withdrawn.")
    return redirect(_PAGE)
