"""The patient list and the patient page with its body map. Thin: look up (404 outside the clinic), parse, call a
service, render or redirect.

Every form works without JavaScript: static/js/body-map.js only fills the coordinates from a click or a tap.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Lesion, Patient
from dermreview.cases.services.patients import lesion_create, lesion_place, patient_update
from dermreview.lesions.forms import LesionForm, LesionPlaceForm, PatientForm, PatientSearchForm
from dermreview.lesions.selectors.patient_page import patient_page


def get_patient_for_user(user: Any, pk: int | str) -> Patient:
    return get_object_or_404(Patient.objects.visible_to(user).select_related("organisation"), pk=pk)


def get_lesion_for_user(user: Any, pk: int | str) -> Lesion:
    return get_object_or_404(Lesion.objects.visible_to(user).select_related("patient__organisation"), pk=pk)


def patient_list(request: HttpRequest) -> HttpResponse:
    patients = Patient.objects.visible_to(request.user).annotate(
        lesion_count=Count("lesions", distinct=True), visit_count=Count("cases", distinct=True))
    form = PatientSearchForm(request.GET or None)
    if form.is_valid() and (q := form.cleaned_data["q"].strip()):
        patients = patients.filter(reference__icontains=q)
    page = Paginator(patients.order_by("reference"), 25).get_page(request.GET.get("page"))
    return render(request, "lesions/patient_list.html", {"page": page, "search_form": form})


def _page_url(patient: Patient, view: str = "") -> str:
    url = reverse("lesions:patient", args=[patient.pk])
    return f"{url}?view={view}#body-map" if view else url


def _render_patient(request: HttpRequest, patient: Patient, *, status: int = 200, **forms: Any) -> HttpResponse:
    move = request.GET.get("move", "")
    page = patient_page(user=request.user, patient=patient, view=request.GET.get("view", ""),
                        move=int(move) if move.isdigit() else None)
    context = {
        "page": page, "patient": patient,
        "patient_form": forms.get("patient_form") or PatientForm(initial={
            "birth_year": patient.birth_year, "sex": patient.sex, "fitzpatrick_type": patient.fitzpatrick_type}),
        "lesion_form": forms.get("lesion_form") or LesionForm(),
        "place_form": forms.get("place_form") or LesionPlaceForm(initial={
            "view": page.view.key, "x": page.moving.map_x if page.moving else None,
            "y": page.moving.map_y if page.moving else None}),
    }
    return render(request, "lesions/patient_detail.html", context, status=status)


def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, pk)
    audit_log(action="patient.view", actor=request.user, obj=patient, organisation=patient.organisation)
    return _render_patient(request, patient)


def _apply_errors(form: Any, error: ValidationError, renames: dict[str, str] | None = None) -> None:
    """A service's ValidationError shown on the form's own fields (`renames`: service name -> form field)."""
    renames = renames or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        field = renames.get(name, name)
        form.add_error(field if field in form.fields else None, errors)


@require_POST
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, pk)
    require_role(request.user, Role.CLINICIAN)
    form = PatientForm(request.POST)
    if form.is_valid():
        try:
            patient_update(patient=patient, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            patient.refresh_from_db()
            _apply_errors(form, error)
        else:
            messages.success(request, "Patient details saved.")
            return redirect(_page_url(patient))
    return _render_patient(request, patient, status=400, patient_form=form)


@require_POST
def lesion_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, pk)
    require_role(request.user, Role.CLINICIAN)
    form = LesionForm(request.POST)
    if form.is_valid():
        try:
            lesion = lesion_create(patient=patient, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"Lesion added{' to the body map' if lesion.map_view else ''}.")
            return redirect(_page_url(patient, lesion.map_view))
    return _render_patient(request, patient, status=400, lesion_form=form)


@require_POST
def lesion_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Place or move one lesion on the body map (the figure's click, or the coordinates typed in)."""
    lesion = get_lesion_for_user(request.user, pk)
    require_role(request.user, Role.CLINICIAN)
    form = LesionPlaceForm(request.POST)
    if form.is_valid():
        try:
            lesion_place(lesion=lesion, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"Lesion {lesion.label or lesion.get_body_site_display()} placed on the "
                                      f"{lesion.get_map_view_display().lower()} view.")
            return redirect(_page_url(lesion.patient, lesion.map_view))
    request.GET = request.GET.copy()
    request.GET["move"] = str(lesion.pk)
    return _render_patient(request, lesion.patient, status=400, place_form=form)
