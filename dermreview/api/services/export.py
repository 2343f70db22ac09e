"""Exporting an organisation's findings: who may, what it covers, and the audit events.

Drafts (`include_drafts`) follow the blind-first rule of the review page (`review.services.blind.draft_visible_to`):
an exporter who reviews gets no draft of a blind-first case before recording their own finding for it (or before
its first sign-off); those drafts are left out, not withheld in place, and counted in the audit event. An auditor
who does not review sees them, as on every page: they cannot be biased into a sign-off. The drafts exported are
recorded as one `draft.view` event (`via: export`, the `export_id` and every `draft_ids`) when the export starts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from django.db.models import Q
from django.utils import timezone

from dermreview.accounts.roles import Role, require_role
from dermreview.api.exports.csv_writer import write_csv
from dermreview.api.exports.fhir_writer import FhirBundleWriter
from dermreview.api.exports.json_writer import write_json
from dermreview.api.exports.records import ExportScope, UrlBuilder, export_records, exported_drafts
from dermreview.audit.services.events import audit_log
from dermreview.review.services.blind import drafts_visible_q

ExportFormat = Literal["json", "csv", "fhir"]
CONTENT_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "fhir": "application/fhir+json",
}
EXTENSIONS = {"json": "json", "csv": "csv", "fhir": "fhir.json"}


@dataclass
class ExportStream:
    content_type: str
    filename: str
    chunks: Iterator[str]
    export_id: str


def findings_export(
    *,
    user: Any,
    export_format: ExportFormat,
    since: datetime | None = None,
    until: datetime | None = None,
    include_drafts: bool = False,
    base_url: str,
    include_reports: bool = False,
) -> ExportStream:
    """Start an export of the user's organisation's final findings (and, for auditors, its AI drafts).

    Anyone in the organisation may export its final findings; `include_drafts` needs the auditor (or admin) role,
    because a draft list is oversight material, not clinical record. The export is audited when it starts (who,
    which format, which window); the rows are produced lazily by the returned iterator, in constant memory.
    `base_url` (scheme://host) makes the photo links absolute. Drafts: see the module docstring.
    """
    if include_drafts:
        require_role(user, Role.AUDITOR)
    scope = ExportScope(organisation_id=user.organisation_id, since=since, until=until, include_drafts=include_drafts,
                        drafts_visible=drafts_visible_q(user=user, case_path="image__case__"))
    urls = UrlBuilder(base=base_url.rstrip("/"))
    generated_at = timezone.now()
    export_id = str(uuid.uuid4())
    audit_log(
        action="findings.export", actor=user,
        details={"export_id": export_id, "format": export_format, "since": since.isoformat() if since else None,
                 "until": until.isoformat() if until else None, "status": "final", "include_drafts": include_drafts,
                 "include_reports": include_reports},
    )
    if include_drafts:
        scope = _record_draft_views(scope, user=user, export_id=export_id)
    meta = _export_meta(user=user, export_id=export_id, generated_at=generated_at, since=since,
                        until=until, include_drafts=include_drafts)
    if export_format == "csv":
        chunks = write_csv(scope, urls)
    elif export_format == "json":
        chunks = write_json(export_records(scope, urls), meta=meta)
    else:
        system = f"urn:dermreview:{meta['organisation'] or 'none'}"
        # `include_reports`: each final finding's PDF report as the DiagnosticReport's presentedForm (fhir_lesion.py).
        chunks = FhirBundleWriter(scope=scope, urls=urls, system=system, meta=meta,
                                  include_reports=include_reports).write()
    stamp = generated_at.strftime("%Y%m%dT%H%M%SZ")
    return ExportStream(
        content_type=CONTENT_TYPES[export_format],
        filename=f"dermreview-findings-{stamp}.{EXTENSIONS[export_format]}",
        chunks=chunks,
        export_id=export_id,
    )


def _export_meta(*, user: Any, export_id: str, generated_at: datetime, since: datetime | None,
                 until: datetime | None, include_drafts: bool) -> dict[str, Any]:
    """What the export says about itself, at its head (JSON, FHIR) and in the audit event's terms."""
    return {
        "export_id": export_id,
        "generated_at": generated_at.isoformat(),
        "organisation": getattr(user.organisation, "slug", None),
        "exported_by": user.username,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "status": "final",
        "include_drafts": include_drafts,
        "note": "Only reviewer-signed, final findings are findings. Records with kind 'ai_draft' (reviewed: false) "
                "are unreviewed AI drafts, not diagnoses. Drafts of blind-first cases you review and have not yet "
                "recorded your own finding for are left out.",
    }


def _record_draft_views(scope: ExportScope, *, user: Any, export_id: str) -> ExportScope:
    """Audit the drafts this export shows as one `draft.view` event, and pin the export to exactly those drafts."""
    draft_ids = frozenset(exported_drafts(scope).values_list("pk", flat=True))
    left_out = exported_drafts(replace(scope, drafts_visible=Q())).count() - len(draft_ids)
    audit_log(action="draft.view", actor=user,
              details={"via": "export", "export_id": export_id, "draft_ids": sorted(draft_ids),
                       "left_out_blind_first": left_out})
    return replace(scope, draft_ids=draft_ids)
