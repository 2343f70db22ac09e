"""Two visits of one lesion side by side. Thin: check access (the selector's 404s), record the view, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dermreview.audit.services.events import audit_log
from dermreview.lesions.selectors.compare import compare_page


@require_GET
def lesion_compare(request: HttpRequest, lesion_id: int) -> HttpResponse:
    q = request.GET
    page = compare_page(user=request.user, lesion_id=lesion_id, a=q.get("a"), b=q.get("b"),
                        photo_a=q.get("pa"), photo_b=q.get("pb"))
    # What was shown, once per page load, as the case page records its views.
    audit_log(
        action="lesion.compare", actor=request.user, obj=page.lesion,
        organisation=page.lesion.patient.organisation, case_id=page.b.visit.case_id,
        details={"lesion_id": page.lesion.pk, "case_ids": [s.visit.case_id for s in (page.a, page.b) if s],
                 "image_ids": [s.photo.image_id for s in (page.a, page.b) if s and s.photo]},
    )
    return render(request, "lesions/compare.html", {"page": page, "lesion": page.lesion})
