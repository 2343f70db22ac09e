"""Photo uploads. Thin: parse, call `images_upload`, answer.

The image grid fragment the upload script refreshes (`cases:image_grid`) shows draft status, so it lives with the
case page in the review app (`dermreview/review/views/case_pages.py`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dermreview.accounts.roles import Role, require_role
from dermreview.cases.access import get_case_for_user, get_image_for_user
from dermreview.cases.selectors import image_position
from dermreview.cases.services.image_capture import CaptureTypeRefused, image_capture_type_update
from dermreview.cases.services.upload import (
    UploadRefused,
    UploadReport,
    images_upload,
    upload_files_read,
)


def wants_json(request: HttpRequest) -> bool:
    """The page's script asks for JSON; a plain form post (no JavaScript) gets a redirect."""
    return (
        request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or "application/json" in request.headers.get("Accept", "")
    )


@require_POST
def image_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)  # outsiders: 404 before anything else
    require_role(request.user, Role.CLINICIAN)
    try:
        files = upload_files_read(read=lambda: request.FILES.getlist("files"))
        report = images_upload(
            case=case, user=request.user, files=files,
            capture_type=request.POST.get("capture_type", ""),
        )
    except UploadRefused as refused:
        return _refused(request, case.pk, refused)
    if wants_json(request):
        return JsonResponse(report.to_dict(), status=200 if report.any_kept else 400)
    _add_messages(request, report)
    return redirect("cases:detail", pk=case.pk)


@require_POST
def image_capture_type(request: HttpRequest, image_pk: int) -> HttpResponse:
    """The per-photo capture type select on the case page: JSON for the script, a redirect for a plain form."""
    image = get_image_for_user(request.user, image_pk)  # outsiders: 404
    try:
        image = image_capture_type_update(image=image, user=request.user,
                                          capture_type=request.POST.get("capture_type", ""))
    except CaptureTypeRefused as refused:
        if wants_json(request):
            status = 409 if refused.code == "case_signed" else 400
            return JsonResponse({"error": {"code": refused.code, "message": refused.message}}, status=status)
        messages.error(request, refused.message)
        return redirect("cases:detail", pk=image.case_id)
    if wants_json(request):
        return JsonResponse({"image_id": image.pk, "capture_type": image.capture_type,
                             "capture_type_label": image.get_capture_type_display()})
    messages.success(request, f"Photo {image_position(image)}: capture type set to {image.get_capture_type_display()}.")
    return redirect("cases:detail", pk=image.case_id)


def _refused(request: HttpRequest, case_pk: int, refused: UploadRefused) -> HttpResponse:
    if wants_json(request):
        status = 409 if refused.code == "case_closed" else 400
        return JsonResponse({"error": {"code": refused.code, "message": refused.message}, "files": []}, status=status)
    messages.error(request, refused.message)
    return redirect("cases:detail", pk=case_pk)


def _add_messages(request: HttpRequest, report: UploadReport) -> None:
    accepted = len(report.accepted)
    if accepted:
        noun = "photo" if accepted == 1 else "photos"
        kept = " They were kept; the files listed below were not stored." if report.rejected else ""
        messages.success(request, f"{accepted} {noun} added.{kept}")
    for outcome in report.duplicates:
        messages.warning(request, outcome.message)
    for outcome in report.rejected:
        messages.error(request, f"Not stored: {outcome.message}")
