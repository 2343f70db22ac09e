"""A lesion's outcome: the page with the current outcome, its recording form and its voiding (correction) form.

Thin: look up the lesion (404 outside the clinic), parse, call `cases/services/outcomes.py`, redirect with a
message or show the form again with the refusal beside its field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dermreview.accounts.roles import Role, has_role
from dermreview.cases.models import ConfirmType, Lesion, LesionOutcome
from dermreview.cases.services.outcomes import (
    LAB_REFERENCE_MAX,
    OutcomeRefused,
    outcome_diagnosis_choices,
    outcome_record,
    outcome_void,
)
from dermreview.lesions.selectors.outcomes import lesion_outcomes
from dermreview.lesions.views.patients import get_lesion_for_user


class OutcomeForm(forms.Form):
    """Parses the input only; the service decides (vocabulary, date, text) and its refusals land on the fields."""

    diagnosis_class = forms.TypedChoiceField(label="Diagnosis", coerce=int, empty_value=None, required=False)
    diagnosed_on = forms.DateField(label="Date of diagnosis", required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    confirm_type = forms.ChoiceField(label="Confirmed by", choices=ConfirmType.choices,
                                     initial=ConfirmType.HISTOPATHOLOGY)
    lab_reference = forms.CharField(label="Laboratory reference", required=False, strip=False,
                                    max_length=LAB_REFERENCE_MAX * 2)
    notes = forms.CharField(label="Notes", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["diagnosis_class"].choices = [("", "Choose…"), *outcome_diagnosis_choices(
            organisation_id=organisation_id)]
        self.fields["diagnosed_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class VoidForm(forms.Form):
    reason = forms.CharField(label="Reason for the correction", strip=False, widget=forms.Textarea(attrs={"rows": 2}))


def lesion_outcome(request: HttpRequest, lesion_id: int) -> HttpResponse:
    """GET: the lesion's outcome and the form. POST: record an outcome."""
    lesion = get_lesion_for_user(request.user, lesion_id)
    organisation_id = lesion.patient.organisation_id
    form = OutcomeForm(request.POST or None, organisation_id=organisation_id)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            outcome_record(lesion=lesion, user=request.user, diagnosis_class_id=data["diagnosis_class"],
                           diagnosed_on=data["diagnosed_on"], confirm_type=data["confirm_type"],
                           lab_reference=data["lab_reference"], notes=data["notes"])
        except OutcomeRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            messages.success(request, "Outcome recorded.")
            return redirect("lesions:outcome", lesion_id=lesion.pk)
    return _page(request, lesion, form=form, void_form=VoidForm(), status=400 if form.errors else 200)


@require_POST
def lesion_outcome_void(request: HttpRequest, lesion_id: int, outcome_id: int) -> HttpResponse:
    lesion = get_lesion_for_user(request.user, lesion_id)
    outcome = get_object_or_404(LesionOutcome.objects.visible_to(request.user), pk=outcome_id, lesion=lesion)
    void_form = VoidForm(request.POST)
    if void_form.is_valid():
        try:
            outcome_void(outcome=outcome, user=request.user, reason=void_form.cleaned_data["reason"])
        except OutcomeRefused as refused:
            void_form.add_error("reason" if refused.field == "reason" else None, refused.message)
        else:
            messages.success(request, "Outcome voided. Record the corrected outcome below.")
            return redirect("lesions:outcome", lesion_id=lesion.pk)
    form = OutcomeForm(organisation_id=lesion.patient.organisation_id)
    return _page(request, lesion, form=form, void_form=void_form, status=400)


def _page(request: HttpRequest, lesion: Lesion, *, form: OutcomeForm, void_form: VoidForm, status: int) -> HttpResponse:
    outcomes = lesion_outcomes(lesion=lesion)
    current = next((o for o in outcomes if o.voided_at is None), None)
    return render(request, "lesions/outcome_form.html", {
        "lesion": lesion, "patient": lesion.patient, "outcome": current,
        "voided": [o for o in outcomes if o.voided_at is not None], "form": form, "void_form": void_form,
        "can_record": has_role(request.user, Role.CLINICIAN, Role.REVIEWER),
    }, status=status)
