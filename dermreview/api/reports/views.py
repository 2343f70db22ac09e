"""The PDF report, two doors to one service (`case_report_download`):

- `GET /api/v1/cases/{id}/report.pdf` (DRF: token or session, JSON errors: 404 outside the clinic, 409 before the
  case is final);
- `GET /cases/{id}/report.pdf`, the case page's "Download PDF report" link (a plain Django view: login redirect and
  the HTML error pages of the browser, mounted in dermreview/urls.py because the cases app may not import api).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from dermreview.api.base import ApiView
from dermreview.api.reports.pdf_report import ReportNotAvailable
from dermreview.api.reports.services import ReportFile, case_report_download


def pdf_response(report: ReportFile) -> HttpResponse:
    response = HttpResponse(report.content, content_type=report.content_type)
    # The file name is built from the case id and version only: ASCII, no patient data, nothing to escape.
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class CaseReportView(ApiView):
    """The case's PDF report (final cases only)."""

    extra_error_statuses = {"get": (409,)}

    @extend_schema(
        operation_id="case_report_pdf", tags=["cases"],
        summary="The PDF report of the case's final, reviewer-confirmed finding (final cases only; 409 otherwise)",
        description="Clinic, pseudonymous patient, lesion and body-map position, photos (beside the previous "
                    "visit's photo and signed finding), the signed finding, the management plan, signers and "
                    "times, the AI-draft disclosure (model and prompt version), the case history and the hash of "
                    "the sign-off's audit event. Every download is recorded in the audit trail (`report.download`).",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return pdf_response(case_report_download(user=request.user, case_id=pk))


@require_safe
@login_required
def case_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The same report for the browser: a not-final case gets a page that says why (409), not a file."""
    try:
        report = case_report_download(user=request.user, case_id=pk)
    except ReportNotAvailable as refused:
        return render(request, "reports/not_available.html", {"message": refused.message, "case_id": pk},
                      status=refused.http_status)
    return pdf_response(report)
