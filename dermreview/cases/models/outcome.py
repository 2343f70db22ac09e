from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dermreview.cases.models.lesion import Lesion


class ConfirmType(models.TextChoices):
    """How the outcome was established: ISIC's `diagnosis_confirm_type`, grouped as the clinic records it."""

    HISTOPATHOLOGY = "histopathology", "Histopathology"
    FOLLOW_UP = "serial imaging showing no change", "Follow-up (serial imaging showing no change)"
    EXPERT_CONSENSUS = "single image expert consensus", "Expert consensus"
    CONFOCAL = "confocal microscopy with consensus dermoscopy", "Confocal microscopy with consensus dermoscopy"


class LesionOutcomeQuerySet(models.QuerySet["LesionOutcome"]):
    def visible_to(self, user: Any) -> LesionOutcomeQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(lesion__patient__organisation_id=user.organisation_id)

    def current(self) -> LesionOutcomeQuerySet:
        return self.filter(voided_at__isnull=True)


class LesionOutcome(models.Model):
    """What a lesion turned out to be: the reference standard the AI and the reviewers are measured against.

    One current outcome per lesion; a correction voids the old row (kept, with who and why) and adds a new one.
    """

    lesion = models.ForeignKey(Lesion, on_delete=models.PROTECT, related_name="outcomes")
    diagnosis_class = models.ForeignKey("cases.DiagnosisClass", on_delete=models.PROTECT, related_name="+")
    diagnosed_on = models.DateField("date of diagnosis")
    confirm_type = models.CharField(
        "confirmed by", max_length=64, choices=ConfirmType.choices, default=ConfirmType.HISTOPATHOLOGY,
    )
    lab_reference = models.CharField("laboratory reference", max_length=64, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.TextField(blank=True, max_length=2000)

    objects = LesionOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesion"], condition=models.Q(voided_at__isnull=True), name="one_current_outcome_per_lesion",
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome of lesion {self.lesion_id}: {self.diagnosis_class_id} ({self.confirm_type})"
