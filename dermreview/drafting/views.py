"""Draft status on the case page: a JSON endpoint polled by static/js/draft_status.js, and the per-image fragment.

Thin: look the case or image up through `cases.access` (404 to outsiders), ask `draft_display`, render.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dermreview.cases.access import get_case_for_user, get_image_for_user
from dermreview.drafting.services.display import PAUSED_MESSAGE, draft_view_record, image_draft_views


@require_GET
@never_cache
def case_drafts_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Every image's draft status for one case. Polled every ~2 s while a draft is pending; not audited per poll."""
    case = get_case_for_user(request.user, pk)
    views = image_draft_views(images=list(case.images.all()), case=case, user=request.user)
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
    views = image_draft_views(images=[image], case=image.case, user=request.user)
    draft_view_record(views=views, user=request.user, case=image.case)
    return render(request, "drafting/_image_draft_body.html", {"view": views[0], "case": image.case, "assets": False})
