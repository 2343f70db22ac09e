"""The patient's choice about model training for one case: a form on the case's edit page, and this page for the
clinic's administrators (who do not edit clinical details). Thin: check access, call the service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermreview.accounts.roles import require_role
from dermreview.cases.access import get_case_for_user
from dermreview.cases.forms import CaseTrainingUseForm
from dermreview.cases.services.training_use import TRAINING_USE_ROLES, case_training_opt_out_set


def case_training_use(request: HttpRequest, pk: int) -> HttpResponse:
    """Show (GET) or record (POST) whether the patient opted out; allowed in every status, signed ones included."""
    case = get_case_for_user(request.user, pk)
    require_role(request.user, *TRAINING_USE_ROLES)
    if request.method == "POST":
        form = CaseTrainingUseForm(request.POST)
        if form.is_valid():
            opt_out = form.cleaned_data["training_opt_out"]
            case_training_opt_out_set(case=case, user=request.user, opt_out=opt_out)
            messages.success(request, "Saved: this case is excluded from model training." if opt_out
                             else "Saved: this case may be used for model training.")
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_training_use.html", {"case": case, "title": f"Case {case.pk}: model training"})
