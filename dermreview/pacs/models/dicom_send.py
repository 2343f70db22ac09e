from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class DicomSendStatus(models.TextChoices):
    """One send of one final finding version to the archive.

        queued ──worker claims──▶ sending ──archive stored every object──▶ sent
          ▲                          │                                       │
          │                          └──error──▶ failed ──retry (worker)──▶ sending
          └──────────── "Send to PACS" again (failed, sent, or a send stuck in sending) ◀─┘

    Every attempt sends the same UIDs (stored on the row), so a re-send after a partial failure replaces nothing
    and duplicates nothing in the archive.
    """

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


DICOM_SEND_TRANSITIONS: dict[str, frozenset[str]] = {
    DicomSendStatus.QUEUED: frozenset({DicomSendStatus.SENDING}),
    DicomSendStatus.SENDING: frozenset({DicomSendStatus.SENT, DicomSendStatus.FAILED, DicomSendStatus.QUEUED}),
    DicomSendStatus.FAILED: frozenset({DicomSendStatus.SENDING, DicomSendStatus.QUEUED}),
    DicomSendStatus.SENT: frozenset({DicomSendStatus.QUEUED}),
}


class DicomSendQuerySet(models.QuerySet["DicomSend"]):
    def visible_to(self, user: Any) -> DicomSendQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(case__organisation_id=user.organisation_id)


class DicomSend(models.Model):
    """The photos and the signed finding (one version) of a final case, sent to the archive as one DICOM study."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="dicom_sends")
    review = models.ForeignKey(
        "review.Review", on_delete=models.PROTECT, related_name="+",
        help_text="The sign-off that made this version final; its version's finding is what is sent.",
    )
    review_version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=DicomSendStatus.choices, default=DicomSendStatus.QUEUED,
                              db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # One study per case (the same Study Instance UID for every version); the instance UIDs are fixed at the first
    # request so that every attempt sends the same objects.
    study_instance_uid = models.CharField(max_length=64)
    series_instance_uids = models.JSONField(default=list, blank=True)
    sop_instance_uids = models.JSONField(default=list, blank=True)
    uid_root = models.CharField(max_length=40, help_text="DERMREVIEW_DICOM_UID_ROOT when the UIDs were made.")
    endpoint = models.CharField(max_length=500, help_text="The STOW-RS URL it is sent to (never credentials).")
    auto = models.BooleanField(default=False, help_text="Sent because the finding became final (auto-send).")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the current attempt began.")
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DicomSendQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-review_version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "review_version"], name="dicom_send_one_per_version"),
            models.CheckConstraint(condition=models.Q(status__in=DicomSendStatus.values),
                                   name="dicom_send_status_valid"),
        ]

    def __str__(self) -> str:
        return f"DICOM send of case {self.case_id} v{self.review_version} ({self.status})"
