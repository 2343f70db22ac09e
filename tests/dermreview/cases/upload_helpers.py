"""Small helpers shared by the upload, media and page tests of this package."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.fixtures.upload_corpus import UploadCase


def as_upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    """An uploaded file whose name is exactly `name` (Django's own basename() is bypassed on purpose, so the
    service's sanitising is what the test exercises)."""
    upload = SimpleUploadedFile("placeholder", data, content_type=content_type)
    upload._name = name  # type: ignore[attr-defined]
    return upload


def corpus_upload(entry: UploadCase) -> SimpleUploadedFile:
    return as_upload(entry.filename, entry.make_bytes(), entry.content_type)


def media_listing(root: Path | None = None) -> list[str]:
    """Every file under MEDIA_ROOT, relative: compared before/after to prove nothing was left behind."""
    base = Path(root or settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())
