"""Anchors: the audit chain's head (sequence and hash), written periodically to a place outside the database.

The HMAC stops anyone without the key from re-sealing a rewritten chain, but it cannot show that the newest events
were removed: a shortened chain is still a valid chain. An anchor records how far the chain had reached, so
`audit_verify` reports a tail that is gone or differs. Anchors go to an append-only file (one JSON line each,
sealed with the audit key so a forged line is reported) and to the log, which usually leaves the host.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dermreview.audit.keys import audit_key
from dermreview.audit.models import AuditEvent

logger = logging.getLogger("dermreview.audit.anchor")


@dataclass(frozen=True, slots=True)
class Anchor:
    sequence: int
    hash: str
    written_at: str
    sealed: bool  # False: the line's seal does not match the audit key (forged or written with another key)


def anchor_file() -> Path:
    return Path(settings.DERMREVIEW_AUDIT_ANCHOR_FILE)


def _seal(sequence: int, chain_hash: str, written_at: str) -> str:
    message = f"{sequence}|{chain_hash}|{written_at}".encode()
    return hmac.new(audit_key(), message, hashlib.sha256).hexdigest()


def audit_anchor_write() -> Anchor | None:
    """Append the chain's current head to the anchor file and the log; None when the trail is empty or unchanged."""
    head = AuditEvent.objects.order_by("-sequence").only("sequence", "hash").first()
    if head is None:
        return None
    anchors = audit_anchors_read()
    if anchors and anchors[-1].sequence == head.sequence and anchors[-1].hash == head.hash:
        return None
    written_at = timezone.now().isoformat(timespec="seconds")
    line = json.dumps({"sequence": head.sequence, "hash": head.hash, "written_at": written_at,
                       "seal": _seal(head.sequence, head.hash, written_at)}, sort_keys=True)
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: concurrent writers never interleave within a line; fsync: an anchor that was logged is on disk.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    logger.info("audit anchor sequence=%d hash=%s", head.sequence, head.hash)
    return Anchor(head.sequence, head.hash, written_at, sealed=True)


def audit_anchors_read() -> list[Anchor]:
    """Every anchor in the file, oldest first. A line that does not parse is an anchor with `sealed=False`."""
    path = anchor_file()
    if not path.exists():
        return []
    anchors = []
    for raw in path.read_text().splitlines():
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            sequence, chain_hash, written_at = int(data["sequence"]), str(data["hash"]), str(data["written_at"])
        except (ValueError, KeyError, TypeError):
            anchors.append(Anchor(0, "", "", sealed=False))
            continue
        sealed = hmac.compare_digest(str(data.get("seal", "")), _seal(sequence, chain_hash, written_at))
        anchors.append(Anchor(sequence, chain_hash, written_at, sealed=sealed))
    return anchors
