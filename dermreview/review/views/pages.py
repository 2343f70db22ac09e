"""Review pages: the queue, the review page (claim, blind entry, sign), the agreement result and amendments.

Thin: parse a form, call a review service, render or redirect. Outsiders get 404 through
`get_case_for_user` / `visible_to`; clinicians get 403; auditors read but never write.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from dermreview.accounts.roles import can_audit, can_review
from dermreview.audit.services.events import audit_log
from dermreview.cases.access import get_case_for_user, get_image_for_user
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.review.errors import (
    ReviewConflict,
    ReviewError,
    ReviewInvalid,
    ReviewNotAllowed,
)
from dermreview.review.forms import (
    FIELD_LABELS,
    BlindFindingForm,
    QueueFilterForm,
    ReviewSignForm,
    UngradableForm,
    opened_at_from_token,
    opened_token,
)
from dermreview.review.models import Review
from dermreview.review.services.blind import (
    blind_entry_required,
    blind_finding_for,
    blind_finding_record,
    draft_visible_to,
)
from dermreview.review.services.claim import case_claim, case_release
from dermreview.review.services.queue import QueueFilters, review_queue, review_queue_counts
from dermreview.review.services.rules import ATTESTATION_TEXT, SUGGESTIONS, any_high_risk
from dermreview.review.services.signoff import current_reviews, review_sign
from dermreview.review.services.ungradable import image_mark_ungradable, ungradable_reason_text

REVIEWABLE = (CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_SECOND_REVIEW)


def _require_reader(user: Any) -> None:
    if not (can_review(user) or can_audit(user)):
        raise PermissionDenied("Review pages are for reviewers and auditors.")


def require_writer(user: Any) -> None:
    if not can_review(user):
        raise PermissionDenied("Only reviewers can do this.")


# --- queue --------------------------------------------------------------------------------------------------


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    form = QueueFilterForm(request.GET or None)
    filters = QueueFilters(**form.cleaned_data) if form.is_valid() else QueueFilters()
    cases = review_queue(user=request.user, filters=filters)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "review/queue.html", {
        "page": page, "filter_form": form, "counts": review_queue_counts(cases=cases),
        "suggestions": SUGGESTIONS,
        # The filters, without the page number, for the pager's links.
        "filter_query": urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v]),
    })


# --- review page ----------------------------------------------------------------------------------------------


def review_case(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: claim the case (or show who holds it) and show photos, draft and form. POST: sign."""
    case = get_case_for_user(request.user, pk)
    _require_reader(request.user)
    if request.method == "POST":
        require_writer(request.user)
        return _sign(request, case)
    if request.method != "GET":
        return HttpResponse(status=405)
    holder_conflict = None
    # The first-round signer of a high-risk case must not block the case from the second reviewer.
    signed_round_one = case.status == CaseStatus.NEEDS_SECOND_REVIEW and any(
        r.round == 1 and r.reviewer_id == request.user.pk for r in current_reviews(case=case))
    if can_review(request.user) and case.status in REVIEWABLE and not signed_round_one:
        try:
            case = case_claim(case=case, user=request.user)
        except ReviewConflict as exc:
            holder_conflict = exc.message
    draft = _chosen_draft(case, request.GET.get("draft"))
    form = None
    if (can_review(request.user) and case.status in REVIEWABLE and not signed_round_one and holder_conflict is None
            and draft_visible_to(case=case, user=request.user)):
        form = ReviewSignForm(initial={
            **(draft.finding_fields() if draft else {}), "draft_id": draft.pk if draft else None,
            "lock_version": case.lock_version, "opened": opened_token(case_id=case.pk),
            "action": "sign",
        })
    return _render_review(request, case, draft=draft, form=form, claim_message=holder_conflict)


def _sign(request: HttpRequest, case: Case) -> HttpResponse:
    form = ReviewSignForm(request.POST)
    draft = None
    if form.is_valid():
        draft = _chosen_draft(case, form.cleaned_data.get("draft_id"), default_first=False)
        opened_at = opened_at_from_token(form.cleaned_data["opened"], case_id=case.pk)
        if opened_at is None:
            form.add_error(None, "This form is damaged or from another case: reload the page.")
        else:
            rejecting = form.cleaned_data["action"] == "reject"
            if rejecting and not form.cleaned_data["rejection_reason"].strip():
                form.add_error("rejection_reason", "Say why the AI draft is unusable.")
            else:
                try:
                    review = review_sign(
                        case=case, reviewer=request.user, fields=form.finding_fields(),
                        confirmed_fields=form.confirmed_fields(), draft=draft, opened_at=opened_at,
                        expected_lock_version=form.cleaned_data["lock_version"],
                        attestation=form.cleaned_data["attestation"],
                        rejection_reason=form.cleaned_data["rejection_reason"] if rejecting else "",
                    )
                except ReviewError as exc:
                    return _render_sign_error(request, case, form, draft, exc)
                messages.success(request, _signed_message(review))
                return redirect("review:result", pk=review.pk)
    return _render_review(request, case, draft=draft, form=form, status=400)


def _render_sign_error(request: HttpRequest, case: Case, form: ReviewSignForm, draft: Draft | None,
                       exc: ReviewError) -> HttpResponse:
    if isinstance(exc, ReviewInvalid):
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _render_review(request, case, draft=draft, form=form, status=400)
    if isinstance(exc, ReviewConflict):
        # Keep every character the reviewer typed; refresh only the lock version so that a deliberate
        # resubmission (after reading what changed) is judged against the case as it is now.
        data = request.POST.copy()
        if exc.current_lock_version is not None:
            data["lock_version"] = str(exc.current_lock_version)
        case = Case.objects.get(pk=case.pk)
        form = ReviewSignForm(data)
        form.is_valid()
        return _render_review(request, case, draft=draft, form=form, conflict=exc.message, status=409)
    assert isinstance(exc, ReviewNotAllowed)
    status = 403 if exc.code == "role" else 409
    return _render_review(request, Case.objects.get(pk=case.pk), draft=draft, form=form, conflict=exc.message,
                          status=status)


def _signed_message(review: Review) -> str:
    if review.case.status == CaseStatus.NEEDS_SECOND_REVIEW:
        return "Signed. This finding names a high-risk class: the case now needs a second, different reviewer."
    return "Signed. The case is final."


def _chosen_draft(case: Case, draft_id: Any, *, default_first: bool = True) -> Draft | None:
    ready = Draft.objects.filter(image__case_id=case.pk, status=DraftStatus.READY).select_related("image")
    if draft_id not in (None, ""):
        try:
            return ready.get(pk=int(draft_id))
        except (ValueError, TypeError, Draft.DoesNotExist):
            return None
    return ready.order_by("image__created_at", "created_at", "pk").first() if default_first else None


def _render_review(
    request: HttpRequest, case: Case, *, draft: Draft | None, form: ReviewSignForm | None,
    claim_message: str | None = None, conflict: str | None = None, status: int = 200,
    blind_form: BlindFindingForm | None = None,
) -> HttpResponse:
    user = request.user
    images = list(case.images.all())
    visible = draft_visible_to(case=case, user=user)
    drafts = list(
        Draft.objects.filter(image__case_id=case.pk).select_related("image").order_by("image__created_at", "created_at")
    ) if visible else []
    ready = [d for d in drafts if d.status == DraftStatus.READY]
    holder = case.active_claim_holder()
    # Blind entry is offered only to whoever may sign next: not while another reviewer holds the case.
    needs_blind = (can_review(user) and blind_entry_required(case=case, user=user)
                   and (holder is None or holder.pk == user.pk))
    if ready and visible:
        audit_log(action="draft.view", actor=user, obj=case,
                  details={"draft_ids": [d.pk for d in ready], "shown_in_form": draft.pk if draft else None})
    reviews = current_reviews(case=case)
    history = list(Review.objects.filter(case_id=case.pk).select_related("reviewer", "voided_by")
                   .order_by("version", "round"))
    first_round = next((r for r in reviews if r.round == 1), None)
    shown_form = form if (visible and not needs_blind) else None
    draft_fields = draft.finding_fields() if (draft is not None and visible) else {}
    field_rows = [
        {"name": name, "field": shown_form[name], "confirm": shown_form[f"confirm_{name}"],
         "draft_text": draft_fields.get(name), "suggest": name in SUGGESTIONS}
        for name in FINDING_FIELDS
    ] if shown_form is not None else []
    context = {
        "case": case, "images": images, "drafts": drafts, "ready_drafts": ready, "draft": draft if visible else None,
        "form": shown_form, "field_rows": field_rows,
        "blind_form": blind_form or (BlindFindingForm() if needs_blind else None),
        "blind_rows": _blind_rows(case, user),
        "needs_blind": needs_blind, "draft_visible": visible,
        "can_write": can_review(user), "reviewable": case.status in REVIEWABLE,
        "holder": holder, "held_by_me": holder is not None and holder.pk == user.pk,
        "claim_message": claim_message, "conflict": conflict,
        "reviews": reviews, "history": history,
        "second_round": case.status == CaseStatus.NEEDS_SECOND_REVIEW,
        "first_reviewer_is_me": first_round is not None and first_round.reviewer_id == user.pk,
        "suggestions": SUGGESTIONS, "attestation_text": ATTESTATION_TEXT, "field_labels": FIELD_LABELS,
        "ungradable_form": UngradableForm(),
        # From the drafts only when the user may see them: a blind reviewer must not learn the draft's class.
        "high_risk_flag": case.high_risk or (visible and any_high_risk(d.lesion_type for d in ready) is not None),
        "can_amend": can_review(user) and case.status == CaseStatus.FINAL and bool(reviews),
        "last_review": reviews[-1] if reviews else None,
        "can_mark_ungradable": can_review(user) and case.status == CaseStatus.AWAITING_REVIEW
        and (holder is None or holder.pk == user.pk),
    }
    return render(request, "review/review_case.html", context, status=status)


def _blind_rows(case: Case, user: Any) -> list[tuple[str, str]]:
    finding = blind_finding_for(case=case, user=user) if case.blind_first else None
    return [(FIELD_LABELS[name], value) for name, value in finding.finding_fields().items()] if finding else []


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
            return _render_review(request, Case.objects.get(pk=case.pk), draft=None, form=None,
                                  conflict=exc.message, blind_form=form, status=409)
        else:
            messages.success(request, "Your finding is saved. The AI draft is now shown: sign your final finding.")
            return redirect("review:case", pk=case.pk)
    return _render_review(request, case, draft=None, form=None, blind_form=form, status=400)


@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    require_writer(request.user)
    try:
        case_release(case=case, user=request.user)
    except ReviewNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("review:case", pk=case.pk)
    messages.info(request, f"Case #{case.pk} released: other reviewers can take it now.")
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
    if case.status == CaseStatus.NEEDS_NEW_PHOTO:
        messages.success(request, "Every photo of this case is ungradable: the clinician is asked for a new photo.")
        return redirect("review:queue")
    messages.success(request, "Photo marked ungradable.")
    return redirect("review:case", pk=case.pk)


def review_for_reader(request: HttpRequest, pk: int) -> Review:
    """A signed review of the user's organisation (404 otherwise), for reviewers and auditors (403 otherwise)."""
    review = get_object_or_404(
        Review.objects.visible_to(request.user).select_related("case", "reviewer", "blind_finding"), pk=pk
    )
    _require_reader(request.user)
    return review
