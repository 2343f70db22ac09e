"""The agreement path of the adjudication page: one of the two reviewers who disagreed proposes one of the two
findings, the other confirms it ("Agree"). Thin: the rules are in `review/services/adjudication_agreement.py`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dermreview.cases.access import get_case_for_user
from dermreview.cases.models import Case
from dermreview.review.errors import ReviewError
from dermreview.review.forms import opened_at_from_token
from dermreview.review.services.adjudication_agreement import (
    review_adjudication_confirm,
    review_adjudication_propose,
)
from dermreview.review.services.signoff import state_message
from dermreview.review.views.adjudication import render_adjudication
from dermreview.review.views.pages import require_reader, require_writer


class AgreementForm(forms.Form):
    """A proposal ("Accept the other's finding" / "Keep mine": the round chosen) or its confirmation ("Agree")."""

    lock_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    round = forms.TypedChoiceField(choices=[(1, "1"), (2, "2")], coerce=int)
    opened = forms.CharField(required=False, widget=forms.HiddenInput)
    attestation = forms.BooleanField(required=False)


@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: propose settling the disagreement on one of the two findings."""
    case, form = _posted(request, pk)
    if form is None:
        return _refused(request, case, "This form is damaged: reload the page.", 400)
    try:
        review_adjudication_propose(case=case, reviewer=request.user, round=form.cleaned_data["round"],
                                    expected_lock_version=form.cleaned_data["lock_version"])
    except ReviewError as exc:
        return _refused(request, case, exc.message, exc.http_status)
    case.refresh_from_db()
    messages.success(request, state_message(action="agree", status=case.status))
    return redirect("review:adjudicate", pk=case.pk)


@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: agree to the other reviewer's proposal; signs round 3 and makes the case final."""
    case, form = _posted(request, pk)
    opened_at = opened_at_from_token(form.cleaned_data["opened"], case_id=case.pk) if form is not None else None
    if form is None or opened_at is None:
        return _refused(request, case, "This form is damaged or from another case: reload the page.", 400)
    try:
        review = review_adjudication_confirm(
            case=case, reviewer=request.user, round=form.cleaned_data["round"], opened_at=opened_at,
            expected_lock_version=form.cleaned_data["lock_version"], attestation=form.cleaned_data["attestation"],
        )
    except ReviewError as exc:
        message = " ".join(getattr(exc, "errors", {}).values()) or exc.message
        return _refused(request, case, message, exc.http_status)
    messages.success(request, state_message(action="agree", status=case.status))
    return redirect("review:result", pk=review.pk)


def _posted(request: HttpRequest, pk: int) -> tuple[Case, AgreementForm | None]:
    case = get_case_for_user(request.user, pk)
    require_reader(request.user)
    require_writer(request.user)
    form = AgreementForm(request.POST)
    return case, form if form.is_valid() else None


def _refused(request: HttpRequest, case: Case, message: str, status: int) -> HttpResponse:
    return render_adjudication(request, Case.objects.get(pk=case.pk), conflict=message, status=status)
