"""Photos in storage: written with their rows or not at all, orphans swept, and signed URLs for browsers.

Every photo goes through Django's default storage (a private folder, or an S3-compatible bucket with
DERMREVIEW_MEDIA_STORAGE=s3; see dermreview/settings/storage.py): nothing here knows which, except where a bucket
can do better (listing keys with their ages in one request, presigning a URL).

A database transaction cannot take a file back. `media_atomic()` records the objects written inside its atomic block
and deletes them if the block raises, so a failed upload leaves nothing behind; what still escapes (a process killed
between the write and the commit, an outer transaction rolled back later) is found by `media_orphans_sweep`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from dermreview.audit.services.events import audit_log

logger = logging.getLogger(__name__)

# Keys listed in one audit event at most (the count is always exact): a sweep after an outage may find thousands.
_AUDITED_KEYS = 100


@dataclass
class MediaWrites:
    """The objects written so far in one `media_atomic()` block."""

    written: list[tuple[Storage, str]] = field(default_factory=list)

    def save(self, storage: Storage, name: str, content: File) -> str:
        """Write `content` under `name` (or a fresh name if taken: never an overwrite) and record it."""
        stored = storage.save(name, content)
        self.written.append((storage, stored))
        return stored

    def record(self, stored: FieldFile) -> None:
        """Record a file a FileField saved itself (`field_file.save(..., save=False)`)."""
        self.written.append((stored.storage, stored.name))

    def discard(self, count: int) -> None:
        """Delete the last `count` objects written (their row was not inserted after all)."""
        for _ in range(count):
            storage, name = self.written.pop()
            storage_delete_quietly(storage, name)

    def delete_all(self) -> None:
        while self.written:
            self.discard(1)


@contextmanager
def media_atomic() -> Iterator[MediaWrites]:
    """`transaction.atomic()` that also deletes the objects written through it when the block raises.

    Nested inside another transaction that later rolls back, the objects stay: the sweeper removes them.
    """
    writes = MediaWrites()
    try:
        with transaction.atomic():
            yield writes
    except BaseException:
        writes.delete_all()
        raise


def storage_delete_quietly(storage: Storage, name: str) -> None:
    """Delete one object, logging (not raising) a failure: an orphan is better than hiding the original error."""
    try:
        storage.delete(name)
    except Exception:  # OSError from a folder, botocore's errors from a bucket: the sweeper gets it later
        logger.warning("media: could not delete %s; media_sweep_orphans will", name, exc_info=True)


def storage_objects(storage: Storage = default_storage) -> Iterator[tuple[str, datetime]]:
    """Every stored object's name (as FileFields hold it) and last-modified time, under the storage's root/prefix."""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # S3: one listing request per thousand keys, ages included (listdir would cost a HEAD per key).
        prefix = storage.location.strip("/")
        start = len(prefix) + 1 if prefix else 0
        for summary in bucket.objects.filter(Prefix=f"{prefix}/" if prefix else ""):
            yield summary.key[start:], summary.last_modified
        return
    yield from _walk(storage, "")


def _walk(storage: Storage, folder: str) -> Iterator[tuple[str, datetime]]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a fresh installation has no media folder yet
        return
    for name in files:
        path = f"{folder}/{name}" if folder else name
        yield path, storage.get_modified_time(path)
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}" if folder else sub)


def referenced_names(storage: Storage = default_storage) -> set[str]:
    """Every name a FileField row in any model holds on `storage` (the photos, their display copies, thumbnails)."""
    names: set[str] = set()
    for model in apps.get_models():
        columns = [f.attname for f in model._meta.concrete_fields
                   if isinstance(f, models.FileField) and f.storage is storage]
        for column in columns:
            # _base_manager: every row, whatever a default manager would hide (an operator's whole-installation job).
            names.update(model._base_manager.exclude(**{column: ""}).values_list(column, flat=True).iterator())
    return names


@dataclass(frozen=True, slots=True)
class SweepResult:
    orphans: list[str]
    kept_young: int
    total: int
    deleted: bool


def media_orphans_sweep(*, older_than: timedelta, dry_run: bool = False,
                        storage: Storage = default_storage) -> SweepResult:
    """Delete stored objects no row references and older than `older_than` (an upload in flight is younger).

    An operator's maintenance job (`manage.py media_sweep_orphans`, and Celery beat daily): no user to check. Keys
    are listed before the rows are read, so a row committed while the listing runs still protects its objects.
    """
    cutoff = timezone.now() - older_than
    listed = list(storage_objects(storage))
    referenced = referenced_names(storage)
    unreferenced = [(name, modified) for name, modified in listed if name not in referenced]
    orphans = sorted(name for name, modified in unreferenced if _aware(modified) <= cutoff)
    if orphans and not dry_run:
        for name in orphans:
            storage_delete_quietly(storage, name)
        audit_log(action="media.orphans_swept", actor=None,
                  details={"count": len(orphans), "older_than_s": int(older_than.total_seconds()),
                           "keys": orphans[:_AUDITED_KEYS]})
    return SweepResult(orphans=orphans, kept_young=len(unreferenced) - len(orphans), total=len(listed),
                       deleted=bool(orphans) and not dry_run)


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.get_default_timezone())


def media_presigned_url(stored: FieldFile, *, content_type: str, filename: str, cache_control: str) -> str:
    """A short-lived signed GET URL for one object, on the address browsers reach the bucket at.

    The object's headers are fixed by the signature (type, inline disposition, caching), so what the browser gets
    from the bucket matches what Django would have sent, whatever metadata the object carries.
    """
    parameters = {
        "ResponseContentType": content_type,
        "ResponseContentDisposition": f'inline; filename="{filename}"',
        "ResponseCacheControl": cache_control,
    }
    return _presigning_storage().url(stored.name, parameters=parameters,
                                     expire=settings.DERMREVIEW_MEDIA_PRESIGNED_TTL_S)


_PRESIGNERS: dict[tuple[Any, ...], Storage] = {}


def _presigning_storage() -> Storage:
    """The default storage, or a twin on the public endpoint when browsers reach the bucket at another address.

    Signing is local (no request), but the host is part of the signature: it must be the host the browser uses.
    """
    public = settings.DERMREVIEW_S3_PUBLIC_ENDPOINT_URL
    options = settings.STORAGES["default"].get("OPTIONS", {})
    if not public or public == options.get("endpoint_url"):
        return default_storage
    key = (public, *sorted((k, repr(v)) for k, v in options.items()))
    if key not in _PRESIGNERS:
        from storages.backends.s3 import S3Storage

        _PRESIGNERS[key] = S3Storage(**{**options, "endpoint_url": public})
    return _PRESIGNERS[key]
