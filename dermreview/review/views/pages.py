"""Review pages: the queue, the review page (start/claim, blind entry, sign), the agreement result and amendments.

Thin: parse a form, call a review service, render or redirect; what the review page shows comes from
`review.selectors.review_page`. Outsiders get 404 through `get_case_for_user` / `visible_to`; clinicians get 403;
auditors read but never write. A review error answers with its own `http_status` (`review/errors.py`), the same
status the API gives it.

Opening a page never changes anything: the review page is read-only until the reviewer presses "Start review", a
POST (with Django's CSRF check) that claims the case; "Release" and the queue's "Release all my claims" are POSTs
too. Time on task runs from the claim (`Case.claimed_at`); the form's signed `opened` token only ties the form
to its case.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dermreview.accounts.roles import can_audit, can_review
from dermreview.audit.services.events import audit_log
from dermreview.cases.access import get_case_for_user, get_image_for_user
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, Draft
from dermreview.review.errors import (
    ReviewConflict,
    ReviewError,
    ReviewInvalid,
    ReviewNotAllowed,
)
from dermreview.review.forms import (
    BlindFindingForm,
    QueueFilterForm,
    ReviewSignForm,
    UngradableForm,
    opened_at_from_token,
    opened_token,
)
from dermreview.review.models import Review
from dermreview.review.selectors.claims import claims_held
from dermreview.review.selectors.review_page import (
    DraftChoice,
    ReviewPage,
    ready_draft_for,
    review_page,
)
from dermreview.review.services.blind import blind_finding_record
from dermreview.review.services.claim import case_claim, case_release, case_release_all
from dermreview.review.services.queue import QueueFilters, review_queue, review_queue_counts
from dermreview.review.services.rules import ATTESTATION_TEXT, SUGGESTIONS
from dermreview.review.services.signoff import review_sign, state_message
from dermreview.review.services.ungradable import image_mark_ungradable, ungradable_reason_text


def require_reader(user: Any) -> None:
    if not (can_review(user) or can_audit(user)):
        raise PermissionDenied("Review pages are for reviewers and auditors.")


def require_writer(user: Any) -> None:
    if not can_review(user):
        raise PermissionDenied("Only reviewers can do this.")


# --- queue --------------------------------------------------------------------------------------------------


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    require_reader(request.user)
    form = QueueFilterForm(request.GET or None)
    filters = QueueFilters(**form.cleaned_data) if form.is_valid() else QueueFilters()
    cases = review_queue(user=request.user, filters=filters)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "review/queue.html", {
        "page": page, "filter_form": form, "counts": review_queue_counts(cases=cases),
        "suggestions": SUGGESTIONS, "my_claims": claims_held(user=request.user) if can_review(request.user) else 0,
        # The filters, without the page number, for the pager's links.
        "filter_query": urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v]),
    })


# --- review page ----------------------------------------------------------------------------------------------


def review_case(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the case read-only, with "Start review" (or who holds it); the blind-entry or sign form only while the
    user holds the claim. Never claims: a GET, even from another site's link, changes nothing. POST: sign."""
    case = get_case_for_user(request.user, pk)
    require_reader(request.user)
    if request.method == "POST":
        require_writer(request.user)
        return _sign(request, case)
    if request.method != "GET":
        return HttpResponse(status=405)
    page = review_page(user=request.user, case=case, draft_id=request.GET.get("draft"))
    form = None
    if (page.held_by_me and page.reviewable and page.draft_visible
            and not (page.second_round and page.first_reviewer_is_me)):
        # Blind-first: the form starts from the reviewer's own finding, the draft beside it ("Use the AI's value").
        start = dict(page.blind_fields) if page.blind_fields else (page.draft.finding_fields() if page.draft else {})
        form = ReviewSignForm(initial={
            **start,
            "draft_id": page.draft.draft_id if page.draft else None,
            "lock_version": case.lock_version, "opened": opened_token(case_id=case.pk), "action": "sign",
        })
    return _render_review(request, page, form=form)


@require_POST
def start_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Start review" button: claim the case (or renew one's own claim), then show the form.

    Posted from the sign form itself ("Claim it again and keep my input", "Keep the case ... more minutes"), it
    shows that form again with everything typed; otherwise it redirects to the page's work area.
    """
    case = get_case_for_user(request.user, pk)
    require_writer(request.user)
    try:
        case = case_claim(case=case, user=request.user)
    except ReviewError as exc:
        page = review_page(user=request.user, case=Case.objects.get(pk=case.pk))
        return _render_review(request, page, form=None, claim_message=exc.message, status=exc.http_status,
                              holder_in_message=getattr(exc, "holder", None) is not None)
    if "lock_version" in request.POST:
        data, draft = _switched_draft(request, case)
        form = ReviewSignForm(data)
        form.is_valid()
        return _render_review(request, _resubmitted_page(request, case, draft), form=form)
    messages.info(request, state_message(action="claim", status=case.status))
    return redirect(reverse("review:case", args=[case.pk]) + "#review-work")


def _switched_draft(request: HttpRequest, case: Case) -> tuple[Any, Draft | None]:
    """The posted sign form, moved to the draft a "Start from: photo N" button names (`switch_draft`), if any.

    Every typed value is kept; a field still holding the old draft's text (untouched) takes the new draft's.
    """
    data = request.POST.copy()
    old = ready_draft_for(case=case, draft_id=data.get("draft_id"))
    new = ready_draft_for(case=case, draft_id=data.get("switch_draft")) if data.get("switch_draft") else None
    if new is None:
        return data, old
    old_fields = old.finding_fields() if old is not None else {}
    for name, text in new.finding_fields().items():
        if old is not None and " ".join(data.get(name, "").split()) == " ".join(old_fields[name].split()):
            data[name] = text
    data["draft_id"] = str(new.pk)
    return data, new


def _sign(request: HttpRequest, case: Case) -> HttpResponse:
    form = ReviewSignForm(request.POST)
    draft = None
    if form.is_valid():
        draft = ready_draft_for(case=case, draft_id=form.cleaned_data.get("draft_id"))
        # The token only ties the form to this case; time on task runs from the claim, on the server's clock.
        if opened_at_from_token(form.cleaned_data["opened"], case_id=case.pk) is None:
            form.add_error(None, "This form is damaged or from another case: reload the page.")
        else:
            rejecting = form.cleaned_data["action"] == "reject"
            if rejecting and not form.cleaned_data["rejection_reason"].strip():
                form.add_error("rejection_reason", "Say why the AI draft is unusable.")
            else:
                try:
                    review = review_sign(
                        case=case, reviewer=request.user, fields=form.finding_fields(),
                        confirmed_fields=form.confirmed_fields(), draft=draft,
                        expected_lock_version=form.cleaned_data["lock_version"],
                        attestation=form.cleaned_data["attestation"],
                        rejection_reason=form.cleaned_data["rejection_reason"] if rejecting else "",
                        taken_from_ai=form.cleaned_data["taken_from_ai"], plan=form.plan_input(),
                    )
                except ReviewError as exc:
                    return _render_sign_error(request, case, form, draft, exc)
                messages.success(request, state_message(action="sign", status=case.status,
                                                        round=review.round))
                if request.GET.get("then") == "next":  # the "Sign and open next" button's formaction
                    return _open_next(request, case)
                return redirect("review:result", pk=review.pk)
    return _render_review(request, _resubmitted_page(request, case, draft), form=form, status=400)


def _open_next(request: HttpRequest, signed: Case) -> HttpResponse:
    """"Sign and open next": the next case in the reviewer's queue order that they could take, shown read-only with
    "Start review" focused (`#start-review`). It is not claimed: a claim is always the reviewer's own deliberate
    press, so a stray double submit cannot lock a case away from colleagues. The queue when none is left."""
    now = timezone.now()
    taken_by_other = Q(claimed_by__isnull=False, claim_expires_at__gt=now) & ~Q(claimed_by=request.user)
    signed_first = Q(status=CaseStatus.NEEDS_SECOND_REVIEW, reviews__round=1, reviews__reviewer=request.user,
                     reviews__voided_at__isnull=True)
    upcoming = review_queue(user=request.user).exclude(pk=signed.pk).exclude(taken_by_other).exclude(signed_first)
    following = upcoming.first()
    if following is None:
        messages.info(request, "No other case is waiting for you in the queue.")
        return redirect("review:queue")
    return redirect(reverse("review:case", args=[following.pk]) + "#start-review")


def _render_sign_error(request: HttpRequest, case: Case, form: ReviewSignForm, draft: Draft | None,
                       exc: ReviewError) -> HttpResponse:
    """The form again, with what went wrong, answered with the status every review error has (`errors.py`)."""
    if isinstance(exc, ReviewInvalid):
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _render_review(request, _resubmitted_page(request, case, draft), form=form, status=exc.http_status)
    if isinstance(exc, ReviewConflict):
        # Keep every character the reviewer typed; refresh only the lock version so that a deliberate
        # resubmission (after reading what changed) is judged against the case as it is now.
        data = request.POST.copy()
        if exc.current_lock_version is not None:
            data["lock_version"] = str(exc.current_lock_version)
        form = ReviewSignForm(data)
        form.is_valid()
    # Shown as the case is now: someone else may have changed it.
    page = _resubmitted_page(request, Case.objects.get(pk=case.pk), draft)
    return _render_review(request, page, form=form, conflict=exc.message, status=exc.http_status,
                          holder_in_message=getattr(exc, "holder", None) is not None)


def _resubmitted_page(request: HttpRequest, case: Case, draft: Draft | None) -> ReviewPage:
    """The page behind a re-shown form: it starts from the draft the reviewer submitted, or from none."""
    return review_page(user=request.user, case=case, draft_id=draft.pk if draft else None, default_first=False)


def _render_review(
    request: HttpRequest, page: ReviewPage, *, form: ReviewSignForm | None, claim_message: str | None = None,
    conflict: str | None = None, status: int = 200, blind_form: BlindFindingForm | None = None,
    holder_in_message: bool = False,
) -> HttpResponse:
    """`holder_in_message`: the refusal shown already says who holds the claim and until when, so the claim bar
    does not say it again (the conflict is stated once)."""
    show_blind = page.needs_blind or (blind_form is not None and page.blind_pending)
    shown_form = form if (page.draft_visible and not show_blind) else None
    # The read is decided here: the drafts are shown only inside the sign form, and recorded once, on the case.
    if shown_form is not None and page.ready_drafts:
        audit_log(action="draft.view", actor=request.user, obj=page.case,
                  details={"draft_ids": [d.draft_id for d in page.ready_drafts],
                           "shown_in_form": page.draft.draft_id if page.draft else None})
    return render(request, "review/review_case.html", {
        "page": page, "case": page.case, "form": shown_form,
        "field_rows": _field_rows(shown_form, page.draft, dict(page.blind_fields)),
        "show_blind": show_blind, "blind_form": blind_form or (BlindFindingForm() if show_blind else None),
        "claim_message": claim_message, "conflict": conflict, "ungradable_form": UngradableForm(),
        "suggestions": SUGGESTIONS, "attestation_text": ATTESTATION_TEXT,
        "claim_minutes": settings.DERMREVIEW_CLAIM_MINUTES, "holder_in_message": holder_in_message,
    }, status=status)


def _field_rows(form: ReviewSignForm | None, draft: DraftChoice | None, blind: dict[str, str]) -> list[dict[str, Any]]:
    """Each finding field of the form beside the AI draft's text for it (None: the reviewer's own entry) and, on a
    blind-first case, the reviewer's blind text ("Use mine"); the lesion type also with the class the AI's maps to."""
    if form is None:
        return []
    draft_fields = draft.finding_fields() if draft is not None else {}
    return [
        {"name": name, "field": form[name], "confirm": form[f"confirm_{name}"],
         "draft_text": draft_fields.get(name), "blind_text": blind.get(name), "suggest": name in SUGGESTIONS,
         "lesion_class": draft.lesion_class if draft is not None and name == "lesion_type" else None}
        for name in FINDING_FIELDS
    ]


@require_POST
def blind_entry(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    require_writer(request.user)
    form = BlindFindingForm(request.POST)
    if form.is_valid():
        try:
            blind_finding_record(case=case, reviewer=request.user, fields=form.finding_fields())
        except ReviewInvalid as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        except (ReviewConflict, ReviewNotAllowed) as exc:
            page = _resubmitted_page(request, Case.objects.get(pk=case.pk), None)
            return _render_review(request, page, form=None, conflict=exc.message, blind_form=form,
                                  status=exc.http_status)
        else:
            status = Case.objects.values_list("status", flat=True).get(pk=case.pk)
            messages.success(request, state_message(action="blind", status=status))
            return redirect("review:case", pk=case.pk)
    return _render_review(request, _resubmitted_page(request, case, None), form=None, blind_form=form, status=400)


@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    require_writer(request.user)
    try:
        case_release(case=case, user=request.user)
    except ReviewNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("review:case", pk=case.pk)
    case.refresh_from_db()
    messages.info(request, f"Case #{case.pk} " + state_message(action="release", status=case.status))
    return redirect("review:queue")


@require_POST
def release_all(request: HttpRequest) -> HttpResponse:
    """The queue's "Release all my claims": every case the reviewer holds goes back to the others."""
    require_writer(request.user)
    released = case_release_all(user=request.user)
    if released:
        listed = ", ".join(f"#{pk}" for pk in released)
        messages.info(request, f"Released {len(released)} claim{'s' if len(released) != 1 else ''} ({listed}).")
    else:
        messages.info(request, "You held no claims.")
    return redirect("review:queue")


@require_POST
def mark_ungradable(request: HttpRequest, image_pk: int) -> HttpResponse:
    image = get_image_for_user(request.user, image_pk)
    require_writer(request.user)
    form = UngradableForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose why the photo cannot be graded.")
        return redirect("review:case", pk=image.case_id)
    try:
        reason = ungradable_reason_text(category=form.cleaned_data["category"], detail=form.cleaned_data["detail"])
        image_mark_ungradable(image=image, reviewer=request.user, reason=reason)
    except ReviewError as exc:
        messages.error(request, exc.message)
        return redirect("review:case", pk=image.case_id)
    case = Case.objects.get(pk=image.case_id)
    messages.success(request, state_message(action="ungradable", status=case.status))
    if case.status == CaseStatus.NEEDS_NEW_PHOTO:
        return redirect("review:queue")
    return redirect("review:case", pk=case.pk)


def review_for_reader(request: HttpRequest, pk: int) -> Review:
    """A signed review of the user's organisation (404 otherwise), for reviewers and auditors (403 otherwise)."""
    review = get_object_or_404(
        Review.objects.visible_to(request.user).select_related("case", "reviewer", "blind_finding"), pk=pk
    )
    require_reader(request.user)
    return review
