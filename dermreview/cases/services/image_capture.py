"""Correcting a photo's capture type (clinical overview or dermoscopic) until the case is signed off."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dermreview.accounts.roles import Role, has_role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import CaptureType, Case, LesionImage
from dermreview.cases.services.case import SIGNED_STATUSES


class CaptureTypeRefused(Exception):
    """The change cannot be made; `code` is `invalid_capture_type` (400) or `case_signed` (409)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def capture_type_editable(*, user: Any, case: Case) -> bool:
    """Whether the page offers the per-photo capture type select (the service decides again on submit)."""
    return has_role(user, Role.CLINICIAN, Role.REVIEWER) and case.status not in SIGNED_STATUSES


def image_capture_type_update(*, image: LesionImage, user: Any, capture_type: str) -> LesionImage:
    """Set the photo's capture type; refused once the case has a signed finding.

    Clinicians (who took the photo) and reviewers (who may notice it is dermoscopic) may correct it. The case row
    is locked so a concurrent sign-off either sees the new type or makes this refuse. The audit event carries the
    old and new values; an unchanged value writes nothing.
    """
    require_role(user, Role.CLINICIAN, Role.REVIEWER)
    if capture_type not in CaptureType.values:
        raise CaptureTypeRefused(
            "invalid_capture_type",
            f"Unknown capture type. Choose one of: {', '.join(CaptureType.values)}.",
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=image.case_id)
        if case.status in SIGNED_STATUSES:
            raise CaptureTypeRefused(
                "case_signed", "The case has a signed finding: its photos' capture types can no longer change.",
            )
        locked = LesionImage.objects.select_for_update().get(pk=image.pk)
        old = locked.capture_type
        if old == capture_type:
            return locked
        locked.capture_type = capture_type
        locked.save(update_fields=["capture_type"])
        audit_log(action="image.capture_type_update", actor=user, obj=locked, organisation=case.organisation,
                  details={"old": old, "new": capture_type})
    return locked
