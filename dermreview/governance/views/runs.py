"""Shadow evaluations: start one, follow its progress, read its figures, cancel or resume it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dermreview.accounts.models import Organisation
from dermreview.governance.forms import ApproveForm, EvaluateForm
from dermreview.governance.models import EvaluationStatus
from dermreview.governance.selectors import governance_versions, run_detail, run_progress
from dermreview.governance.services.evaluation import evaluation_cancel, evaluation_resume, evaluation_start
from dermreview.governance.services.versions import require_governance_viewer
from dermreview.governance.views.common import (
    evaluation_candidates,
    evaluation_organisations,
    get_run_for_user,
)
from dermreview.governance.views.versions import form_errors


@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    """Queue a shadow evaluation of a candidate on a clinic's signed cases (its administrators, operators)."""
    require_governance_viewer(request.user)
    versions = governance_versions(viewer=request.user)
    form = EvaluateForm(request.POST, candidates=evaluation_candidates(request.user),
                        organisations=evaluation_organisations(versions))
    if not form.is_valid():
        messages.error(request, f"The evaluation was not started. {form_errors(form)}")
        return redirect("oversight:governance")
    data = form.cleaned_data
    organisation_id = data.get("organisation") or request.user.organisation_id
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        messages.error(request, "Choose the clinic whose signed cases the evaluation runs on.")
        return redirect("oversight:governance")
    try:
        run = evaluation_start(candidate=data["candidate"], organisation=organisation, since=data["since"],
                               limit=data["limit"], user=request.user)
    except ValidationError as exc:
        messages.error(request, f"The evaluation was not started: {' '.join(exc.messages)}")
        return redirect("oversight:governance")
    messages.success(request, f"Evaluation {run.pk} queued: {run.cases} cases, {run.total} drafts to make.")
    return redirect("governance:run_detail", pk=run.pk)


@require_GET
def run_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    form = ApproveForm(runs=run.candidate.evaluations.filter(status=EvaluationStatus.FINISHED),
                       initial={"run": run.pk})
    return render(request, "governance/run_detail.html", {
        "detail": run_detail(run=run, viewer=request.user), "approve_form": form,
    })


@require_GET
def run_progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_run_for_user(request.user, pk)
    response = JsonResponse(run_progress(run))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(request, pk, evaluation_cancel, "Evaluation {pk} cancelled.")


@require_POST
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(request, pk, evaluation_resume,
                       "Evaluation {pk} resumed: only the photos not drafted yet are drafted.")


def _run_action(request: HttpRequest, pk: int, action: Callable[..., Any], success: str) -> HttpResponse:
    """Apply a run service for the viewer; its refusal (a ValidationError) is shown on the run page."""
    run = get_run_for_user(request.user, pk)
    try:
        action(run=run, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success.format(pk=run.pk))
    return redirect("governance:run_detail", pk=run.pk)
