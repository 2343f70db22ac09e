"""Case list, creation and editing. Thin: parse, call a service, render.

The case page itself (`cases:detail`) shows draft status and the signed finding, so it lives in the review app
(`dermreview/review/views/case_pages.py`): the cases app never imports drafting or review.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from dermreview.accounts.roles import Role, can_create_cases, require_role
from dermreview.cases.access import get_case_for_user
from dermreview.cases.forms import CaseEditForm, CaseFilterForm, CaseForm, CaseVisitForm
from dermreview.cases.models import Case, CaseStatus, Lesion
from dermreview.cases.services.case import SIGNED_MESSAGE, CaseSigned, case_create, case_editable, case_update


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
    needs_action = request.GET.get("needs_action") == "1"
    if needs_action:
        # A new photo is requested for one of my cases, or a signed/amended finding I have not opened yet
        # (`notifications` is the review app's related name: the cases app does not import review).
        unseen = Case.objects.filter(notifications__recipient=request.user, notifications__read_at__isnull=True,
                                     notifications__kind__in=["signed", "amended"],
                                     status__in=[CaseStatus.FINAL])  # a filter: `status=` reads as a write
        cases = cases.filter(Q(created_by=request.user, status=CaseStatus.NEEDS_NEW_PHOTO)
                             | Q(pk__in=unseen.values("pk")))
    page = Paginator(cases.order_by("-created_at"), 25).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {
        "page": page, "filter_form": form, "can_create": can_create_cases(request.user),
        "needs_action": needs_action,
    })


def case_new(request: HttpRequest) -> HttpResponse:
    """A new case; `?lesion=<id>` (a lesion of the user's clinic, else 404) opens a new visit of that lesion."""
    require_role(request.user, Role.CLINICIAN)
    lesion_id = request.GET.get("lesion", "")
    lesion = (get_object_or_404(Lesion.objects.visible_to(request.user).select_related("patient"),
                                pk=lesion_id if lesion_id.isdigit() else 0) if lesion_id else None)
    form = (CaseVisitForm if lesion else CaseForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {"patient_ref": "", "body_site": "", **form.cleaned_data} if lesion else form.cleaned_data
        case = case_create(user=request.user, lesion=lesion, **fields)
        messages.success(request, "Case created. Add photos below.")
        return redirect("cases:detail", pk=case.pk)
    title = f"New visit of {lesion}" if lesion else "New case"
    return render(request, "cases/case_form.html", {"form": form, "title": title, "lesion": lesion})


def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a case's details; refused (409, the form shown read-only) once a finding is signed against them."""
    case = get_case_for_user(request.user, pk)
    require_role(request.user, Role.CLINICIAN)
    form = CaseEditForm(request.POST or None, instance=Case.objects.get(pk=case.pk))
    signed = not case_editable(case)
    if request.method == "POST" and not signed and form.is_valid():
        try:
            case_update(case=case, user=request.user, **form.cleaned_data)
        except CaseSigned:
            signed = True
        else:
            messages.success(request, "Case updated.")
            return redirect("cases:detail", pk=case.pk)
    if signed:
        for field in form.fields.values():
            field.disabled = True
    status = 409 if signed and request.method == "POST" else 200
    return render(request, "cases/case_form.html", {
        "form": form, "title": f"Edit case {case.pk}", "case": case, "signed_message": SIGNED_MESSAGE if signed else "",
    }, status=status)
