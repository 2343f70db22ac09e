"""Amending a final finding from the case page: a new version supersedes the old, whose sign-off is voided."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermreview.review.errors import ReviewConflict, ReviewInvalid, ReviewNotAllowed
from dermreview.review.forms import AmendForm, opened_at_from_token, opened_token
from dermreview.review.services.rules import ATTESTATION_TEXT, SUGGESTIONS
from dermreview.review.services.signoff import review_amend
from dermreview.review.views.pages import require_writer, review_for_reader


def amend(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_for_reader(request, pk)
    require_writer(request.user)
    case = review.case
    conflict = None
    status = 200
    if request.method == "POST":
        form = AmendForm(request.POST)
        if form.is_valid():
            opened_at = opened_at_from_token(form.cleaned_data["opened"], case_id=case.pk)
            if opened_at is None:
                form.add_error(None, "This form is damaged or from another case: reload the page.")
            else:
                try:
                    amended = review_amend(
                        review=review, reviewer=request.user, fields=form.finding_fields(),
                        reason=form.cleaned_data["reason"], opened_at=opened_at,
                        expected_lock_version=form.cleaned_data["lock_version"],
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
                    messages.success(request, f"Amended: version {amended.version} supersedes version {review.version}.")
                    return redirect("review:result", pk=amended.pk)
        if status == 200:
            status = 400
    elif request.method == "GET":
        form = AmendForm(initial={**review.finding_fields(), "lock_version": case.lock_version,
                                  "opened": opened_token(case_id=case.pk)})
    else:
        return HttpResponse(status=405)
    return render(request, "review/review_amend.html", {
        "review": review, "case": case, "form": form, "conflict": conflict, "suggestions": SUGGESTIONS,
        "attestation_text": ATTESTATION_TEXT,
    }, status=status)
