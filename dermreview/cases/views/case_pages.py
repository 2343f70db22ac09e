"""Case list, creation and editing. Thin: parse, call a service, render.

The case page itself (`cases:detail`) shows draft status and the signed finding, so it lives in the review app
(`dermreview/review/views/case_pages.py`): the cases app never imports drafting or review.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermreview.accounts.roles import Role, can_create_cases, require_role
from dermreview.cases.access import get_case_for_user
from dermreview.cases.forms import CaseEditForm, CaseFilterForm, CaseForm
from dermreview.cases.models import Case
from dermreview.cases.services.case import case_create, case_update


def case_list(request: HttpRequest) -> HttpResponse:
    cases = Case.objects.visible_to(request.user).annotate(image_count=Count("images")).select_related("claimed_by")
    form = CaseFilterForm(request.GET or None)
    if form.is_valid():
        if q := form.cleaned_data["q"]:
            cases = cases.filter(Q(patient_ref__icontains=q) | Q(lesion_label__icontains=q))
        if status := form.cleaned_data["status"]:
            cases = cases.filter(status=status)
        if site := form.cleaned_data["body_site"]:
            cases = cases.filter(body_site=site)
    page = Paginator(cases.order_by("-created_at"), 25).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {
        "page": page, "filter_form": form, "can_create": can_create_cases(request.user),
    })


def case_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.CLINICIAN)
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = case_create(user=request.user, **form.cleaned_data)
        messages.success(request, "Case created. Add photos below.")
        return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "title": "New case"})


def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    require_role(request.user, Role.CLINICIAN)
    form = CaseEditForm(request.POST or None, instance=Case.objects.get(pk=case.pk))
    if request.method == "POST" and form.is_valid():
        case_update(case=case, user=request.user, **form.cleaned_data)
        messages.success(request, "Case updated.")
        return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "title": f"Edit case {case.pk}", "case": case})
