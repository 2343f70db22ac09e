from __future__ import annotations

from django.db import models


class ManagementPlan(models.TextChoices):
    """What happens next for the lesion: a human decision, recorded at sign-off, never drafted by the AI."""

    DISCHARGE = "discharge", "Reassure and discharge"
    MONITOR = "monitor", "Monitor: follow-up visit"
    BIOPSY = "biopsy", "Biopsy or excise"
    URGENT_REFERRAL = "urgent_referral", "Urgent referral"


class ChangeSincePrevious(models.TextChoices):
    """The reviewer's comparison with the lesion's previous visit (human-only)."""

    NEW = "new", "New lesion"
    STABLE = "stable", "Stable"
    CHANGED = "changed", "Changed"
    NOT_COMPARABLE = "not_comparable", "Not comparable"


class ChangeAspect(models.TextChoices):
    SIZE = "size", "Size"
    COLOUR = "colour", "Colour"
    SHAPE = "shape", "Shape"
    SYMPTOMS = "symptoms", "Symptoms"
