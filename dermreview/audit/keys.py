"""The key that seals the audit chain. It never lives in the database, so a database role cannot re-seal a rewrite.

`DERMREVIEW_AUDIT_KEY` in production (a secret of its own, so rotating DJANGO_SECRET_KEY does not invalidate the
trail); locally a key generated once into `var/audit_key` (mode 600), created on first use, never at import.
"""

from __future__ import annotations

import os
import secrets
import stat
from functools import cache
from pathlib import Path

from django.conf import settings


def audit_key() -> bytes:
    configured = settings.DERMREVIEW_AUDIT_KEY
    if configured:
        return configured.encode()
    return _key_from_file(Path(settings.VAR_DIR) / "audit_key")


@cache
def _key_from_file(path: Path) -> bytes:
    if path.exists():
        return path.read_text().strip().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes writing their first event together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return path.read_text().strip().encode()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key.encode()
