"""The case page and its live parts: the page (`cases:detail`), its photo grid (`cases:image_grid`), the draft
status it polls (`drafting:draft_status`) and one photo's draft fragment (`drafting:image_draft`).

They keep their URLs and names (dermreview/urls.py mounts `review.urls.case_page_urlpatterns` in the `cases`
namespace and `draft_status_urlpatterns` in `drafting`) but live here: they show each photo's AI draft status
and the signed finding, which needs the review app's blind-first rule, and apps only import downward.
Thin: check access, ask a selector, record what is shown (once, here), render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dermreview.audit.services.events import audit_log
from dermreview.cases.access import get_case_for_user, get_image_for_user
from dermreview.cases.models import CaptureType, Lesion
from dermreview.cases.outcome_views import current_outcomes
from dermreview.cases.services.image_capture import capture_type_editable
from dermreview.drafting.selectors import PAUSED_MESSAGE
from dermreview.drafting.services.draft_view import draft_view_record
from dermreview.review.selectors.case_page import case_images, case_page
from dermreview.review.selectors.drafts import case_draft_views
from dermreview.review.signals import case_page_shown

if TYPE_CHECKING:
    from dermreview.cases.models import Case



def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    images = case_images(user=request.user, case=case)
    # Record this visit (and each draft it shows) before the page reads the case's audit history, so an auditor
    # finds their own visit at the top of it.
    audit_log(action="case.view", actor=request.user, obj=case)
    draft_view_record(views=[image.draft for image in images if image.draft is not None], user=request.user,
                      case=case)
    page = case_page(user=request.user, case=case, images=images)
    return render(request, "cases/case_detail.html",
                  {"page": page, "case": page.case, **_capture_choices(request, case), **_lesion_links(case),
                   **_page_extras(request, case)})


def _page_extras(request: HttpRequest, case: Case) -> dict[str, object]:
    extras: dict[str, object] = {}
    for _receiver, context in case_page_shown.send(sender=type(case), user=request.user, case=case):
        extras.update(context or {})
    return extras


def _lesion_links(case: Case) -> dict[str, object]:
    """The lesion (with its patient) this visit belongs to: templates/lesions/_case_lesion_links.html links to its
    timeline and the patient page, and its current outcome (lesions/_outcome.html). Two queries; None for a case not
    linked to a lesion."""
    lesion = Lesion.objects.select_related("patient").filter(pk=case.lesion_id).first() if case.lesion_id else None
    outcome = current_outcomes([lesion.pk]).get(lesion.pk) if lesion is not None else None
    return {"case_lesion": lesion, "case_outcome": outcome}


def _capture_choices(request: HttpRequest, case: Case) -> dict[str, object]:
    """The per-photo capture type select, offered until the case has a signed finding."""
    editable = capture_type_editable(user=request.user, case=case)
    return {"capture_types": CaptureType.choices if editable else ()}


@require_GET
def image_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid fragment, so the upload script can refresh it without reloading the page. With it comes the
    finding box (`live`): a new photo can end "new photo requested", and the box must not go stale."""
    case = get_case_for_user(request.user, pk)
    images = case_images(user=request.user, case=case)
    draft_view_record(views=[image.draft for image in images if image.draft is not None], user=request.user,
                      case=case)
    page = case_page(user=request.user, case=case, images=images)
    return render(request, "cases/_image_grid.html", {
        "case": page.case, "page": page, "images": images, "live": True, **_capture_choices(request, case),
    })


@require_GET
@never_cache
def case_drafts_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Every image's draft status for one case. Polled every ~2 s while a draft is pending; not audited per poll
    (the status never carries a draft's text)."""
    case = get_case_for_user(request.user, pk)
    views = case_draft_views(user=request.user, case=case, images=list(case.images.all()))
    paused = bool(views and views[0].paused)
    return JsonResponse({
        "case_id": case.pk,
        "paused": paused,
        "paused_message": PAUSED_MESSAGE if paused else "",
        "pending": any(view.pending for view in views),
        "images": [
            {**view.as_json(), "fragment_url": reverse("drafting:image_draft", args=[view.image_id])}
            for view in views
        ],
    })


@require_GET
@never_cache
def image_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """One image's draft fragment (re-fetched by the page when a draft becomes ready)."""
    image = get_image_for_user(request.user, pk)
    views = case_draft_views(user=request.user, case=image.case, images=[image])
    draft_view_record(views=views, user=request.user, case=image.case)
    return render(request, "drafting/_image_draft_body.html", {"view": views[0], "case": image.case, "assets": False})
