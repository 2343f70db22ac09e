"""Adding photos to a case: the one way images enter DermReview (browser form and API alike)."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import CaptureType, Case, CaseStatus, LesionImage
from dermreview.cases.services.image_processing import (
    CleanImage,
    ImageRejected,
    RejectCode,
    display_name,
    image_clean,
)
from dermreview.cases.services.media_storage import MediaWrites, media_atomic
from dermreview.cases.signals import images_stored

Status = Literal["accepted", "duplicate", "rejected"]

# Statuses from which a new photo puts the case (back) in the review queue.
_STATUS_AFTER_UPLOAD = {
    CaseStatus.NEW: CaseStatus.AWAITING_REVIEW,
    CaseStatus.NEEDS_NEW_PHOTO: CaseStatus.AWAITING_REVIEW,
}


class UploadRefused(Exception):
    """The request as a whole cannot be processed (no file processed, nothing stored)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def upload_files_read(*, read: Callable[[], list[UploadedFile]]) -> list[UploadedFile]:
    """The request's files, from `read` (the view's `request.FILES.getlist`), refused as a whole when too many.

    The page's view and the API call it before `images_upload`, so an over-sized selection gets one message for the
    whole request ("At most 20 files per upload; you sent 22. ...") and nothing is read or stored; static/js/upload.js
    gives the same words before sending. Beyond DATA_UPLOAD_MAX_NUMBER_FILES Django's parser gives up counting.
    """
    try:
        files = read()
    except TooManyFilesSent:
        _refuse_too_many(sent=f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES}")
    if len(files) > settings.DERMREVIEW_UPLOAD_MAX_FILES:
        _refuse_too_many(sent=str(len(files)))
    return files


def _refuse_too_many(*, sent: str) -> NoReturn:
    limit = settings.DERMREVIEW_UPLOAD_MAX_FILES
    raise UploadRefused(
        "too_many_files",
        f"At most {limit} files per upload; you sent {sent}. Nothing was stored; upload them in groups of at "
        f"most {limit}.",
    )


@dataclass
class FileOutcome:
    """What happened to one uploaded file. `file` is a display name only: the original is never stored."""

    file: str
    status: Status
    code: str
    message: str
    image: LesionImage | None = None
    image_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "code": self.code, "message": self.message,
                "image_id": self.image_id}


@dataclass
class UploadReport:
    case: Case
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def accepted(self) -> list[LesionImage]:
        return [o.image for o in self.files if o.status == "accepted" and o.image is not None]

    @property
    def duplicates(self) -> list[FileOutcome]:
        return [o for o in self.files if o.status == "duplicate"]

    @property
    def rejected(self) -> list[FileOutcome]:
        return [o for o in self.files if o.status == "rejected"]

    @property
    def any_kept(self) -> bool:
        """True when at least one file is in the case now (newly stored or already there)."""
        return any(o.status != "rejected" for o in self.files)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for the API and the upload page's script."""
        return {
            "case_id": self.case.pk,
            "case_status": self.case.status,
            "case_status_display": self.case.display_status,
            "accepted": len(self.accepted),
            "duplicate": len(self.duplicates),
            "rejected": len(self.rejected),
            "files": [o.to_dict() for o in self.files],
        }


@dataclass
class _Pending:
    name: str
    sha256: str = ""
    clean: CleanImage | None = None
    outcome: FileOutcome | None = None


def images_upload(
    *,
    case: Case,
    user: Any,
    files: Sequence[UploadedFile],
    capture_type: str,
) -> UploadReport:
    """Validate, clean and store photos for a case; report on every file.

    Clinicians and admins only, and only while the case accepts uploads. Each file is judged on its own:
    rejected files leave no row and no file, duplicates (same SHA-256 already in the case) are reported,
    and the accepted ones are kept even when others in the same request fail. The first accepted photo of
    a new case (or one awaiting a new photo) moves it to `awaiting_review`, and the accepted photos are
    announced with `images_stored` inside the transaction (drafting queues their AI drafts from it).

    Raises PermissionDenied (wrong role), Http404 (case outside the user's organisation) or UploadRefused
    (the request as a whole is unusable: no files, unknown capture type, case closed to uploads).
    Files are written to storage just before their row is inserted, and deleted again if this function's
    transaction fails. (If a caller wraps this in a larger transaction that later rolls back, the files
    stay behind until `manage.py media_sweep_orphans`; callers should not.)
    """
    require_role(user, Role.CLINICIAN)
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        raise Http404("No such case.")
    if capture_type not in CaptureType.values:
        shown = display_name(str(capture_type), limit=30)
        raise UploadRefused(
            "invalid_capture_type",
            f"Unknown capture type '{shown}'. Choose one of: {', '.join(CaptureType.values)}.",
        )
    if not files:
        raise UploadRefused("no_files", "Choose at least one photo to upload.")
    _refuse_unless_open(case)

    pending = _prepare(case=case, files=files)
    report = UploadReport(case=case)
    # Objects written in this block are deleted again if it raises (media_storage.media_atomic).
    with media_atomic() as written:
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _refuse_unless_open(locked)
        for item in pending:
            if item.outcome is None:
                item.outcome = _store(item, case=locked, user=user, capture_type=capture_type, written=written)
            elif item.outcome.status == "duplicate" and item.outcome.image_id is None:
                item.outcome = _duplicate(item.name, _existing_image_id(locked, item.sha256))
            report.files.append(item.outcome)
        if report.accepted:
            _advance_status(locked, user=user)
            images_stored.send(sender=LesionImage, images=report.accepted)
        _audit_refusals(report, case=locked, user=user)
    # The caller's Case object is shown right after (page, API): keep its status current.
    case.status = locked.status
    case.updated_at = locked.updated_at
    report.case = case
    return report


def _refuse_unless_open(case: Case) -> None:
    if not case.accepts_uploads:
        raise UploadRefused(
            "case_closed",
            f"This case is '{case.get_status_display()}' and no longer accepts photos. "
            "Open a new case for a new visit.",
        )


def _prepare(*, case: Case, files: Sequence[UploadedFile]) -> list[_Pending]:
    """Read, hash and clean every file, outside any transaction (decoding is slow)."""
    max_files = settings.DERMREVIEW_UPLOAD_MAX_FILES
    if len(files) > max_files:
        reason = f"not processed: {len(files)} files were sent at once; the limit is {max_files} per upload."
        return [
            _Pending(name=(n := display_name(f.name)),
                     outcome=_rejected(n, RejectCode.TOO_MANY_FILES, reason))
            for f in files
        ]
    existing = set(LesionImage.objects.filter(case=case).values_list("sha256", flat=True))
    seen: dict[str, _Pending] = {}
    pending: list[_Pending] = []
    for upload in files:
        item = _Pending(name=display_name(upload.name))
        pending.append(item)
        try:
            data = _read_capped(upload)
        except ImageRejected as exc:
            item.outcome = _rejected(item.name, exc.code, exc.reason)
            continue
        item.sha256 = hashlib.sha256(data).hexdigest()
        if item.sha256 in existing:
            item.outcome = _duplicate(item.name, None)
            continue
        if (first := seen.get(item.sha256)) is not None:
            # Same bytes twice in one request: same verdict, without decoding them again.
            if first.outcome is not None and first.outcome.status == "rejected":
                item.outcome = _rejected(item.name, first.outcome.code, _reason_of(first))
            else:
                item.outcome = _duplicate(item.name, None)
            continue
        seen[item.sha256] = item
        try:
            item.clean = image_clean(data=data)
        except ImageRejected as exc:
            item.outcome = _rejected(item.name, exc.code, exc.reason)
        del data
    return pending


def _read_capped(upload: UploadedFile) -> bytes:
    limit = settings.DERMREVIEW_UPLOAD_MAX_BYTES

    def too_large(size: int | None) -> ImageRejected:
        shown = f"is {_human_size(size)}" if size else "is larger than that"
        return ImageRejected(RejectCode.TOO_LARGE, f"the file {shown}; the limit is {_human_size(limit)} per photo.")

    if upload.size is not None and upload.size > limit:
        raise too_large(upload.size)
    chunks: list[bytes] = []
    total = 0
    # chunks() rewinds first, so a file read before (e.g. by a form) is read whole.
    for chunk in upload.chunks():
        total += len(chunk)
        if total > limit:
            raise too_large(upload.size if upload.size and upload.size > limit else None)
        chunks.append(chunk)
    if total == 0:
        raise ImageRejected(RejectCode.EMPTY, "the file is empty.")
    return b"".join(chunks)


def _store(
    item: _Pending, *, case: Case, user: Any, capture_type: str, written: MediaWrites
) -> FileOutcome:
    existing_id = _existing_image_id(case, item.sha256)
    if existing_id is not None:
        return _duplicate(item.name, existing_id)
    clean = item.clean
    assert clean is not None
    image = LesionImage(
        case=case,
        capture_type=capture_type,
        content_type=clean.content_type,
        sha256=item.sha256,
        width=clean.width,
        height=clean.height,
        byte_size=len(clean.data),
        uploaded_by=user,
    )
    # A random name: the uploader's file name never reaches the disk, the bucket or the database.
    token = secrets.token_hex(16)
    image.file.save(f"{token}.jpg", ContentFile(clean.data), save=False)
    written.record(image.file)
    image.thumbnail.save(f"{token}-thumb.jpg", ContentFile(clean.thumbnail), save=False)
    written.record(image.thumbnail)
    image.display.save(f"{token}-display.jpg", ContentFile(clean.display), save=False)
    written.record(image.display)
    try:
        with transaction.atomic():
            image.save(force_insert=True)
    except IntegrityError:
        # Another request stored the same photo between our check and our insert.
        written.discard(3)
        return _duplicate(item.name, _existing_image_id(case, item.sha256))
    audit_log(
        action="image.upload", actor=user, obj=image, organisation=case.organisation,
        details={"sha256": item.sha256, "capture_type": capture_type, "width": clean.width, "height": clean.height},
    )
    return FileOutcome(
        file=item.name, status="accepted", code="accepted",
        message=f"{item.name}: added ({clean.width}×{clean.height}).", image=image, image_id=image.pk,
    )


def _advance_status(case: Case, *, user: Any) -> None:
    target = _STATUS_AFTER_UPLOAD.get(CaseStatus(case.status))
    if target is None:
        return
    previous = case.status
    case.assert_transition(target)
    case.status = target
    case.save(update_fields=["status", "updated_at"])
    audit_log(action="case.transition", actor=user, obj=case,
              details={"from": previous, "to": target, "reason": "photo uploaded"})


def _audit_refusals(report: UploadReport, *, case: Case, user: Any) -> None:
    if not report.rejected and not report.duplicates:
        return
    # Codes and counts only: file names can carry patient data.
    audit_log(
        action="image.upload_rejected", actor=user, obj=case,
        details={
            "rejected": len(report.rejected),
            "duplicates": len(report.duplicates),
            "codes": dict(sorted(Counter(o.code for o in report.rejected).items())),
        },
    )


def _existing_image_id(case: Case, sha256: str) -> int | None:
    return LesionImage.objects.filter(case=case, sha256=sha256).values_list("pk", flat=True).first()


def _rejected(name: str, code: str, reason: str) -> FileOutcome:
    return FileOutcome(file=name, status="rejected", code=str(code), message=f"{name}: {reason}")


def _reason_of(item: _Pending) -> str:
    assert item.outcome is not None
    return item.outcome.message.removeprefix(f"{item.name}: ")


def _duplicate(name: str, image_id: int | None) -> FileOutcome:
    where = f" (image {image_id})" if image_id is not None else ""
    return FileOutcome(
        file=name, status="duplicate", code="duplicate",
        message=f"{name}: this photo is already in the case{where}; it was not stored again.", image_id=image_id,
    )


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"
