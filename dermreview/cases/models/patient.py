from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dermreview.cases.models.case import pseudonym_validator


class Sex(models.TextChoices):
    # ISIC's `sex` vocabulary; "not recorded" is the empty value.
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class FitzpatrickType(models.TextChoices):
    # ISIC's `fitzpatrick_skin_type` vocabulary (I-VI).
    I = "I", "I (always burns, never tans)"  # noqa: E741 - the type's own name
    II = "II", "II (usually burns, tans minimally)"
    III = "III", "III (sometimes burns, tans uniformly)"
    IV = "IV", "IV (burns minimally, always tans)"
    V = "V", "V (very rarely burns, tans very easily)"
    VI = "VI", "VI (never burns)"


class PatientQuerySet(models.QuerySet["Patient"]):
    def visible_to(self, user: Any) -> PatientQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class Patient(models.Model):
    """A pseudonymous patient of one clinic: the clinic's own reference, never a name.

    Year of birth, sex and Fitzpatrick skin type are optional; they stratify the model's figures (the model card
    warns that performance varies with skin tone), nothing else.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="patients")
    reference = models.CharField(
        "patient reference", max_length=64, validators=[pseudonym_validator],
        help_text="Pseudonymous reference from your records system. Never a name.",
    )
    birth_year = models.PositiveSmallIntegerField("year of birth", null=True, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, blank=True)
    fitzpatrick_type = models.CharField(
        "Fitzpatrick skin type", max_length=3, choices=FitzpatrickType.choices, blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="patient_reference_unique_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True) | models.Q(birth_year__gte=1900, birth_year__lte=2100),
                name="patient_birth_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"Patient {self.reference}"
