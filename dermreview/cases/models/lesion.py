from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dermreview.cases.models.case import BodySite
from dermreview.cases.models.patient import Patient


class Laterality(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    MIDLINE = "midline", "Midline"
    UNKNOWN = "unknown", "Not recorded"


class BodyMapView(models.TextChoices):
    """The figures of the body map (static/img/body-map/<view>.svg)."""

    FRONT = "front", "Front"
    BACK = "back", "Back"
    HEAD = "head", "Head"
    HANDS = "hands", "Hands"
    FEET = "feet", "Feet"


class LesionQuerySet(models.QuerySet["Lesion"]):
    def visible_to(self, user: Any) -> LesionQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(patient__organisation_id=user.organisation_id)


class Lesion(models.Model):
    """One lesion of one patient, followed across visits: each `Case` is one visit of one lesion.

    The body-map position is a fraction of the chosen figure's width and height (0-1), so it does not depend on
    the size the figure is drawn at. A lesion migrated from before lesions existed has no position until someone
    places it.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lesions")
    body_site = models.CharField(max_length=32, choices=BodySite.choices)
    laterality = models.CharField(max_length=8, choices=Laterality.choices, default=Laterality.UNKNOWN)
    label = models.CharField(
        max_length=64, blank=True,
        help_text="A short label for this lesion (e.g. 'L1 left shoulder').",
    )
    map_view = models.CharField("body-map view", max_length=8, choices=BodyMapView.choices, blank=True)
    map_x = models.FloatField("body-map x", null=True, blank=True)
    map_y = models.FloatField("body-map y", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LesionQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(map_x__isnull=True, map_y__isnull=True)
                    | models.Q(map_x__gte=0, map_x__lte=1, map_y__gte=0, map_y__lte=1)
                ),
                name="lesion_map_position_in_figure",
            ),
            models.CheckConstraint(
                condition=models.Q(map_x__isnull=True) | ~models.Q(map_view=""),
                name="lesion_map_position_has_view",
            ),
        ]

    def __str__(self) -> str:
        label = f" '{self.label}'" if self.label else ""
        return f"Lesion {self.pk}{label} ({self.get_laterality_display().lower()} {self.get_body_site_display()})"
