"""Downloading a case's PDF report: access, the final-only rule, the rendering and the `report.download` event."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from dermreview.api.reports.pdf_report import case_report
from dermreview.api.reports.render import render_pdf
from dermreview.audit.services.events import audit_log
from dermreview.cases.access import get_case_for_user

PDF_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content: bytes
    content_type: str = PDF_CONTENT_TYPE


def case_report_download(*, user: Any, case_id: int) -> ReportFile:
    """The PDF report of the case's current final finding, for `user` (404 outside their clinic; 409 with
    `ReportNotAvailable` when the case is not final). Every download is audited with the finding it shows, the
    audit event that anchors it and the PDF's SHA-256, so a report handed on can be matched to its download."""
    case = get_case_for_user(user, case_id)
    report = case_report(case=case, generated_by=user.get_username(), generated_at=timezone.now())
    content = render_pdf(report)
    with transaction.atomic():
        audit_log(
            action="report.download", actor=user, obj=case, organisation=case.organisation,
            details={"version": report.version, "format": "pdf", "bytes": len(content),
                     "sha256": hashlib.sha256(content).hexdigest(),
                     "anchor_sequence": report.anchor.sequence if report.anchor else None,
                     "anchor_hash": report.anchor.hash if report.anchor else None},
        )
    return ReportFile(filename=f"dermreview-case-{case.pk}-v{report.version}-report.pdf", content=content)
