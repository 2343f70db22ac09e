"""What a clinician is told about their case: a finding signed or amended, or a new photo requested."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    SIGNED = "signed", "Final finding signed"
    AMENDED = "amended", "Final finding amended"
    NEW_PHOTO = "new_photo", "New photo requested"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: Any) -> NotificationQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One event of one case for one recipient (the case's clinician). Read when the recipient opens it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: case {self.case_id} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
