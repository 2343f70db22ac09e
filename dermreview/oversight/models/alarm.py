from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AlarmKind(models.TextChoices):
    RUBBER_STAMP = "rubber_stamp", "Possible rubber-stamping"
    HIGH_RISK_NEVER_EDITED = "high_risk_never_edited", "Never edits high-risk drafts"
    DRIFT = "drift", "Agreement drift below baseline"


class AlarmSubject(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer"
    MODEL_FIELD = "model_field", "Model version and field"


class AlarmStatus(models.TextChoices):
    """open → acknowledged (a note is required) → resolved; open → resolved. Resolved is final."""

    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


UNRESOLVED = (AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED)


class AlarmQuerySet(models.QuerySet["Alarm"]):
    def visible_to(self, user: Any) -> AlarmQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def unresolved(self) -> AlarmQuerySet:
        return self.filter(status__in=UNRESOLVED)


class Alarm(models.Model):
    """An automation-bias or drift signal raised by `alarms_evaluate`, for an auditor to look into.

    At most one unresolved (open or acknowledged) alarm exists per organisation, kind and subject: a later
    evaluation that finds the same condition refreshes that row instead of opening another. Once resolved, the
    condition being found again opens a new alarm.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=AlarmKind.choices)
    subject_type = models.CharField(max_length=16, choices=AlarmSubject.choices)
    subject_key = models.CharField(max_length=400, help_text="Stable identity of the subject, for de-duplication.")
    subject_label = models.CharField(max_length=400, help_text="The subject as people read it.")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The reviewer concerned, for reviewer alarms.",
    )
    status = models.CharField(max_length=16, choices=AlarmStatus.choices, default=AlarmStatus.OPEN, db_index=True)
    details = models.JSONField(default=dict, blank=True, help_text="The figures that triggered it.")
    still_firing = models.BooleanField(default=True, help_text="Whether the last evaluation still found the condition.")
    last_evaluated_at = models.DateTimeField()
    note = models.TextField(blank=True, help_text="What the auditor found or did (required to acknowledge).")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "subject_key"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="alarm_one_unresolved_per_subject",
            ),
            models.CheckConstraint(condition=models.Q(status__in=AlarmStatus.values), name="alarm_status_valid"),
        ]
        indexes = [models.Index(fields=["organisation", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_label} ({self.status})"

    @property
    def is_resolved(self) -> bool:
        return self.status == AlarmStatus.RESOLVED

    @property
    def can_acknowledge(self) -> bool:
        return self.status == AlarmStatus.OPEN

    @property
    def can_resolve(self) -> bool:
        return self.status in UNRESOLVED
