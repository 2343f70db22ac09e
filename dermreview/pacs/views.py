"""The case page's "Send to PACS" button. Thin: check access, call the service, say what happened."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dermreview.cases.access import get_case_for_user
from dermreview.pacs.errors import DicomRoleDenied
from dermreview.pacs.services.send import dicom_send_request
from dermreview.review.errors import ReviewError


@require_POST
def case_dicom_send(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    try:
        send = dicom_send_request(case=case, user=request.user)
    except DicomRoleDenied:
        raise
    except ReviewError as refused:
        messages.error(request, refused.message)
        return redirect("cases:detail", pk=case.pk)
    messages.success(request, f"Version {send.review_version} of the finding is queued for the hospital archive.")
    return redirect("cases:detail", pk=case.pk)
