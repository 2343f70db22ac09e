"""Amending a final finding from the case page: a new version supersedes the old, whose sign-off is voided.

Like a sign-off, an amendment starts with a claim: "Start amendment" (a POST) claims the final case, and the
amendment's time on task runs from that claim on the server's clock.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermreview.review.errors import ReviewConflict, ReviewError, ReviewInvalid, ReviewNotAllowed
from dermreview.review.forms import AmendForm, opened_token
from dermreview.review.models import Review
from dermreview.review.services.claim import case_claim
from dermreview.review.services.rules import ATTESTATION_TEXT, SUGGESTIONS
from dermreview.review.services.signoff import review_amend, state_message
from dermreview.review.views.pages import require_writer, review_for_reader


def amend(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_for_reader(request, pk)
    require_writer(request.user)
    case = review.case
    if request.method == "GET":
        form = AmendForm(initial={**review.finding_fields(), "lock_version": case.lock_version,
                                  "opened": opened_token(case_id=case.pk)})
        return _render(request, review, form)
    if request.method != "POST":
        return HttpResponse(status=405)
    if "start" in request.POST:
        try:
            case_claim(case=case, user=request.user)
        except ReviewError as exc:
            return _render(request, review, _fresh_form(review), conflict=exc.message, status=exc.http_status)
        return redirect("review:amend", pk=review.pk)
    return _sign(request, review)


def _fresh_form(review: Review) -> AmendForm:
    return AmendForm(initial={**review.finding_fields(), "lock_version": review.case.lock_version,
                              "opened": opened_token(case_id=review.case_id)})


def _sign(request: HttpRequest, review: Review) -> HttpResponse:
    form = AmendForm(request.POST)
    conflict, status = None, 400
    if form.is_valid():
        try:
            amended = review_amend(
                review=review, reviewer=request.user, fields=form.finding_fields(),
                reason=form.cleaned_data["reason"], expected_lock_version=form.cleaned_data["lock_version"],
                attestation=form.cleaned_data["attestation"],
            )
        except ReviewInvalid as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        except (ReviewConflict, ReviewNotAllowed) as exc:
            conflict = exc.message
            status = exc.http_status  # the status the API gives the same error (review/errors.py)
            if isinstance(exc, ReviewConflict) and exc.current_lock_version is not None:
                data = request.POST.copy()
                data["lock_version"] = str(exc.current_lock_version)
                form = AmendForm(data)
                form.is_valid()
        else:
            # Said from the state the amendment left the case in (`review_amend` refreshed `review.case`): a
            # high-risk amendment supersedes nothing until its second reviewer signs.
            messages.success(request, state_message(action="amend", status=review.case.status, round=amended.round))
            return redirect("review:result", pk=amended.pk)
    return _render(request, review, form, conflict=conflict, status=status)


def _render(request: HttpRequest, review: Review, form: AmendForm, *, conflict: str | None = None,
            status: int = 200) -> HttpResponse:
    case = review.case
    case.refresh_from_db()
    holder: Any = case.active_claim_holder()
    return render(request, "review/review_amend.html", {
        "review": review, "case": case, "form": form, "conflict": conflict, "suggestions": SUGGESTIONS,
        "attestation_text": ATTESTATION_TEXT, "held_by_me": holder is not None and holder.pk == request.user.pk,
        "holder": holder,
    }, status=status)
