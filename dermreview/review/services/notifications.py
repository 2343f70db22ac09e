"""Telling a case's clinician what happened to it: in the app (a `Notification`) and by email after commit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case
from dermreview.review.models import Notification, NotificationKind

EMAIL_SUBJECTS = {
    NotificationKind.SIGNED: "DermReview: the final finding of case #{case_id} is signed",
    NotificationKind.AMENDED: "DermReview: the final finding of case #{case_id} was amended",
    NotificationKind.NEW_PHOTO: "DermReview: a new photo is requested for case #{case_id}",
}


def notification_create(*, case: Case, kind: str) -> Notification | None:
    """Record `kind` for `case`'s clinician (who created it) and email them once the transaction commits.

    Called inside the sign-off, amendment or ungradable transaction, so the notification commits or rolls back
    with the change it reports. Nobody is notified when the clinician has left the case's organisation.
    """
    recipient = case.created_by
    if recipient is None or recipient.organisation_id != case.organisation_id or not recipient.is_active:
        return None
    notification = Notification.objects.create(recipient=recipient, case=case, kind=kind)
    # Imported here: tasks import services, not the other way round at module load.
    from dermreview.review.tasks import notification_email

    notification_email.delay_on_commit(notification.pk)
    return notification


def notification_send_email(*, notification_id: int) -> bool:
    """Email one notification to its recipient, once (a second run finds `emailed_at` set and does nothing)."""
    with transaction.atomic():
        notification = (Notification.objects.select_for_update().select_related("recipient", "case")
                        .filter(pk=notification_id, emailed_at__isnull=True).first())
        if notification is None or not notification.recipient.email:
            return False
        case_url = reverse("cases:detail", args=[notification.case_id])
        send_mail(
            subject=EMAIL_SUBJECTS[NotificationKind(notification.kind)].format(case_id=notification.case_id),
            message=f"{notification.get_kind_display()} for case #{notification.case_id}.\n\n"
                    f"Open the case in DermReview: {settings.DERMREVIEW_SITE_URL}{case_url}\n",
            from_email=None, recipient_list=[notification.recipient.email],
        )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def notification_mark_read(*, notification: Notification, user: Any) -> Notification:
    """Mark `user`'s own notification read (opening it does this). Idempotent."""
    if notification.recipient_id != user.pk:
        raise PermissionError("Not your notification.")
    if notification.read_at is None:
        with transaction.atomic():
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
            audit_log(action="notification.read", actor=user, obj=notification.case,
                      details={"notification_id": notification.pk, "kind": notification.kind})
        notification.refresh_from_db()
    return notification
