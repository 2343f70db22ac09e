"""Marking a photo ungradable (blur, glare, framing, ...): when no photo of a case can be graded, ask for a new one."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dermreview.accounts.roles import can_review
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus, LesionImage
from dermreview.cases.selectors import image_position, image_positions
from dermreview.review.errors import ReviewInvalid, ReviewNotAllowed, ReviewRoleDenied
from dermreview.review.models import NotificationKind
from dermreview.review.services.claim import assert_not_claimed_by_other
from dermreview.review.services.notifications import notification_create

UNGRADABLE_REASONS: dict[str, str] = {
    "blur": "Out of focus / motion blur",
    "glare": "Glare or reflection hides the lesion",
    "framing": "Lesion cut off, too far away or badly framed",
    "other": "Other",
}
MAX_REASON_LENGTH = 200  # LesionImage.ungradable_reason


def ungradable_reason_text(*, category: str, detail: str = "") -> str:
    """The stored reason: the category's label, then the reviewer's detail. Raises ReviewInvalid for bad input."""
    if category not in UNGRADABLE_REASONS:
        raise ReviewInvalid({"category": f"Choose one of: {', '.join(UNGRADABLE_REASONS)}."})
    detail = " ".join(detail.split())
    if category == "other" and not detail:
        raise ReviewInvalid({"detail": "Say what makes the photo ungradable."})
    return f"{UNGRADABLE_REASONS[category]}: {detail}" if detail else UNGRADABLE_REASONS[category]


def new_photo_request_text(*, case: Case) -> str:
    """What the clinician is told: the ungradable photos by their number on the case ("Photo 1"), not their id."""
    images = list(case.images.all())
    positions = image_positions(images)
    named = ", ".join(f"Photo {positions[i.pk]} ({i.ungradable_reason})" for i in images if i.is_ungradable)
    return f"A new photo is needed: no photo of this case can be graded. {named}." if named else ""


def image_mark_ungradable(
    *, image: LesionImage, reviewer: Any, reason: str
) -> LesionImage:
    """Record that `image` cannot be graded, with `reason` (required, at most 200 characters).

    When every photo of the case is then ungradable, the case moves to `needs_new_photo` (its lock version is
    bumped) and the clinician sees the request on the case page. Only while the case awaits its first sign-off.
    Raises ReviewRoleDenied, ReviewNotAllowed (wrong state, already marked), ReviewConflict (someone else's claim)
    and ReviewInvalid (reason). Audited: `image.mark_ungradable`, and `case.new_photo_requested`.
    """
    if not can_review(reviewer):
        raise ReviewRoleDenied("Only reviewers can mark a photo ungradable.")
    reason = " ".join(str(reason).split())
    if not reason:
        raise ReviewInvalid({"reason": "Say why the photo cannot be graded (blur, glare, framing, ...)."})
    if len(reason) > MAX_REASON_LENGTH:
        raise ReviewInvalid({"reason": f"At most {MAX_REASON_LENGTH} characters."})
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=image.case_id)
        if case.organisation_id != reviewer.organisation_id:
            raise ReviewRoleDenied("This case belongs to another organisation.")
        if case.status != CaseStatus.AWAITING_REVIEW:
            raise ReviewNotAllowed(
                f"Photos can be marked ungradable only before the first sign-off; this case is "
                f"{case.get_status_display().lower()}.", code="state",
            )
        assert_not_claimed_by_other(case=case, user=reviewer, submitted={"image_id": image.pk, "reason": reason})
        updated = LesionImage.objects.filter(pk=image.pk, ungradable_at__isnull=True).update(
            ungradable_reason=reason, ungradable_by=reviewer, ungradable_at=now,
        )
        if not updated:
            raise ReviewNotAllowed("This photo is already marked ungradable.", code="state")
        image.refresh_from_db()
        audit_log(action="image.mark_ungradable", actor=reviewer, obj=image,
                  details={"reason": reason, "photo": image_position(image),
                           "changes": {"ungradable_reason": ["", reason]}})
        if not case.images.filter(ungradable_at__isnull=True).exists():
            case.assert_transition(CaseStatus.NEEDS_NEW_PHOTO)
            Case.objects.filter(pk=case.pk).update(
                status=CaseStatus.NEEDS_NEW_PHOTO, lock_version=F("lock_version") + 1,
                claimed_by=None, claim_expires_at=None, updated_at=now,
            )
            audit_log(action="case.new_photo_requested", actor=reviewer, obj=case,
                      details={"reason": reason, "ungradable_images": list(case.images.values_list("pk", flat=True)),
                               "message": new_photo_request_text(case=case)})
            notification_create(case=case, kind=NotificationKind.NEW_PHOTO)
    return image
