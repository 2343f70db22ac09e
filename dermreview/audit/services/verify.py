"""Checking the audit trail end to end: the keyed hash chain, then the anchors written outside the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dermreview.audit.models import AuditEvent, HashScheme
from dermreview.audit.models.audit_event import GENESIS_HASH
from dermreview.audit.services.anchors import Anchor, audit_anchors_read


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_sequence: int | None = None
    first_broken_id: int | None = None
    reason: str = ""
    anchors_checked: int = 0


@dataclass(frozen=True, slots=True)
class _Walk:
    broken: ChainReport | None
    checked: int
    hashes: dict[int, str]


def audit_chain_verify(*, anchors: Sequence[Anchor] | None = None) -> ChainReport:
    """Walk the chain in order and report the first event whose content, link, position or seal is wrong; then
    check that every anchor's event is still there with the anchored hash (a truncated or rewritten tail)."""
    walk = _walk_chain()
    if walk.broken is not None:
        return walk.broken
    anchors = audit_anchors_read() if anchors is None else anchors
    last = max(walk.hashes, default=0)
    for anchor in anchors:
        if not anchor.sealed:
            return ChainReport(False, walk.checked, None, None,
                               "an anchor line is not sealed with the audit key (the anchor file was edited)")
        if anchor.sequence > last:
            return ChainReport(False, walk.checked, anchor.sequence, None,
                               f"event #{anchor.sequence}, anchored at {anchor.written_at}, is missing: the trail "
                               f"ends at #{last} (events were removed from its end)")
        if walk.hashes[anchor.sequence] != anchor.hash:
            return ChainReport(False, walk.checked, anchor.sequence, None,
                               f"event #{anchor.sequence} differs from its anchor of {anchor.written_at} "
                               "(the chain was rewritten)")
    return ChainReport(True, walk.checked, anchors_checked=len(anchors))


def _walk_chain() -> _Walk:
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    keyed_seen = False
    hashes: dict[int, str] = {}
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        reason = None
        if event.sequence != expected_sequence:
            reason = f"event #{expected_sequence} is missing (next found is #{event.sequence})"
            broken_at = expected_sequence
        else:
            broken_at = event.sequence
            if event.prev_hash != previous_hash:
                reason = f"event #{event.sequence} does not link to the event before it"
            elif keyed_seen and event.hash_scheme != HashScheme.HMAC_SHA256:
                reason = f"event #{event.sequence} is not sealed with the audit key, unlike the events before it"
            elif event.compute_hash() != event.hash:
                reason = f"event #{event.sequence} was altered after it was written"
        if reason is not None:
            return _Walk(ChainReport(False, checked, broken_at, event.pk, reason), checked, hashes)
        keyed_seen = keyed_seen or event.hash_scheme == HashScheme.HMAC_SHA256
        hashes[event.sequence] = event.hash
        previous_hash = event.hash
        expected_sequence += 1
        checked += 1
    return _Walk(None, checked, hashes)
