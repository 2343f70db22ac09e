"""Checking the audit hash chain end to end."""

from __future__ import annotations

from dataclasses import dataclass

from dermreview.audit.models import AuditEvent
from dermreview.audit.models.audit_event import GENESIS_HASH


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_sequence: int | None = None
    first_broken_id: int | None = None
    reason: str = ""


def audit_chain_verify() -> ChainReport:
    """Walk the chain in order; report the first event whose content, link or position is wrong."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return ChainReport(False, checked, expected_sequence, event.pk,
                               f"event #{expected_sequence} is missing (next found is #{event.sequence})")
        if event.prev_hash != previous_hash:
            return ChainReport(False, checked, event.sequence, event.pk,
                               f"event #{event.sequence} does not link to the event before it")
        if event.compute_hash() != event.hash:
            return ChainReport(False, checked, event.sequence, event.pk,
                               f"event #{event.sequence} was altered after it was written")
        previous_hash = event.hash
        expected_sequence += 1
        checked += 1
    return ChainReport(True, checked)
