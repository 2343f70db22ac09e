"""The audit browser's audited actions: CSV export and on-demand chain verification (each itself audited).

The search they act on is a selector: `oversight/selectors/audit_events.py`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log
from dermreview.audit.services.verify import ChainReport, audit_chain_verify
from dermreview.oversight.selectors.audit_events import AuditFilters, audit_events_for

CSV_COLUMNS = (
    "sequence", "created_at", "actor_username", "action", "object_type", "object_id", "case_id", "ip_address",
    "details", "hash",
)
# Cells a spreadsheet would run as a formula (CSV injection): prefixed with an apostrophe on export.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv_row(event: AuditEvent) -> list[str]:
    return [_safe_cell(v) for v in (
        event.sequence, event.created_at.isoformat(), event.actor_username, event.action, event.object_type,
        event.object_id, event.case_id, event.ip_address, json.dumps(event.details, sort_keys=True), event.hash,
    )]


def audit_export_csv(*, user: Any, filters: AuditFilters) -> Iterator[str]:
    """Record the export in the audit trail, then return the CSV lines of the matching events, streamed.

    The export event is written before streaming starts: an export that is cut off half-way is still on record.
    """
    require_role(user, Role.AUDITOR)
    events = audit_events_for(organisation_id=user.organisation_id, filters=filters)
    count = events.count()
    audit_log(action="audit.export_csv", actor=user, organisation=user.organisation,
              details={"filters": filters.as_details(), "rows": count})

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=1000):
            yield writer.writerow(_csv_row(event))

    return lines()


def audit_chain_check(*, user: Any) -> ChainReport:
    """Verify the whole hash chain now and record that it was verified, and the outcome."""
    require_role(user, Role.AUDITOR)
    report = audit_chain_verify()
    audit_log(action="audit.verify", actor=user, organisation=user.organisation, details={
        "ok": report.ok, "checked": report.checked, "first_broken_sequence": report.first_broken_sequence,
        "reason": report.reason,
    })
    return report
