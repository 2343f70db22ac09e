"""A user's notifications as their page lists them, and how many are unread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dermreview.review.models import Notification


@dataclass(frozen=True, slots=True)
class NotificationRow:
    notification_id: int
    case_id: int
    patient_ref: str
    kind: str
    kind_label: str
    created_at: datetime
    is_read: bool


def notification_rows(*, user: Any, limit: int = 100) -> list[NotificationRow]:
    """`user`'s newest notifications, unread and read."""
    rows = Notification.objects.for_user(user).select_related("case")[:limit]
    return [
        NotificationRow(notification_id=n.pk, case_id=n.case_id, patient_ref=n.case.patient_ref, kind=n.kind,
                        kind_label=n.get_kind_display(), created_at=n.created_at, is_read=n.is_read)
        for n in rows
    ]


def unread_count(*, user: Any) -> int:
    return Notification.objects.for_user(user).unread().count() if user.is_authenticated else 0
