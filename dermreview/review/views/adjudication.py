"""The adjudication page: the two disagreeing dual-review findings side by side, and the third reviewer's form.

Readers (reviewers and auditors of the organisation) see the disagreement; a reviewer who signed neither finding
signs the adjudicating finding (round 3), which makes the case final. The two reviewers who disagreed see the
agreement path instead (`views/adjudication_agreement.py`). Thin: the rules are in
`review/services/adjudication.py`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermreview.accounts.roles import can_review
from dermreview.cases.access import get_case_for_user
from dermreview.cases.models import Case
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.review.errors import ReviewConflict, ReviewError, ReviewInvalid
from dermreview.review.forms import AmendForm, opened_at_from_token, opened_token
from dermreview.review.services.adjudication import Disagreement, adjudication_disagreement, review_adjudicate
from dermreview.review.services.adjudication_agreement import agreement_choices
from dermreview.review.services.rules import ATTESTATION_TEXT, SUGGESTIONS
from dermreview.review.services.signoff import state_message
from dermreview.review.views.pages import require_reader, require_writer


def adjudicate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the two findings and, for a third reviewer, the adjudication form. POST: sign the adjudication."""
    case = get_case_for_user(request.user, pk)
    require_reader(request.user)
    if request.method == "GET":
        return render_adjudication(request, case)
    if request.method != "POST":
        return HttpResponse(status=405)
    require_writer(request.user)
    return _sign(request, case)


def _sign(request: HttpRequest, case: Case) -> HttpResponse:
    form = AmendForm(request.POST)
    if not form.is_valid():
        return render_adjudication(request, case, form=form, status=400)
    opened_at = opened_at_from_token(form.cleaned_data["opened"], case_id=case.pk)
    if opened_at is None:
        form.add_error(None, "This form is damaged or from another case: reload the page.")
        return render_adjudication(request, case, form=form, status=400)
    try:
        review = review_adjudicate(
            case=case, reviewer=request.user, fields=form.finding_fields(), opened_at=opened_at,
            expected_lock_version=form.cleaned_data["lock_version"], attestation=form.cleaned_data["attestation"],
        )
    except ReviewInvalid as exc:
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return render_adjudication(request, case, form=form, status=exc.http_status)
    except ReviewError as exc:
        if isinstance(exc, ReviewConflict) and exc.current_lock_version is not None:
            data = request.POST.copy()
            data["lock_version"] = str(exc.current_lock_version)
            form = AmendForm(data)
            form.is_valid()
        return render_adjudication(request, Case.objects.get(pk=case.pk), form=form, conflict=exc.message,
                       status=exc.http_status)
    messages.success(request, state_message(action="adjudicate", status=case.status, round=review.round))
    return redirect("review:result", pk=review.pk)


def _rows(pending: Disagreement | None) -> list[dict[str, Any]]:
    if pending is None:
        return []
    return [{"name": name, "label": FIELD_LABELS[name], "first": getattr(pending.first, name),
             "second": getattr(pending.second, name), "differs": name in pending.disagreement_fields}
            for name in FINDING_FIELDS]


def render_adjudication(request: HttpRequest, case: Case, *, form: AmendForm | None = None,
                        conflict: str | None = None, status: int = 200) -> HttpResponse:
    """The adjudication page; `form` is the third reviewer's (a fresh one when None)."""
    if form is None:
        form = AmendForm(initial={"lock_version": case.lock_version, "opened": opened_token(case_id=case.pk)})
    pending = adjudication_disagreement(case=case)
    signed_one = pending is not None and request.user.pk in (pending.first.reviewer_id, pending.second.reviewer_id)
    may_sign = pending is not None and can_review(request.user) and not signed_one
    return render(request, "review/adjudication.html", {
        "case": case, "pending": pending, "rows": _rows(pending), "form": form if may_sign else None,
        "signed_one": signed_one, "conflict": conflict, "suggestions": SUGGESTIONS,
        "attestation_text": ATTESTATION_TEXT, "agreement": agreement_choices(pending=pending, user=request.user),
        "opened": opened_token(case_id=case.pk),
    }, status=status)
