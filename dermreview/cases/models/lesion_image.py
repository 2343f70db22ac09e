from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dermreview.cases.models.case import Case


class CaptureType(models.TextChoices):
    CLINICAL = "clinical", "Clinical (overview)"
    DERMOSCOPIC = "dermoscopic", "Dermoscopic"


class Framing(models.TextChoices):
    # ISIC `image_type` for clinical photos: "clinical: overview" / "clinical: close-up".
    OVERVIEW = "overview", "Overview"
    CLOSE_UP = "close_up", "Close-up"


class ScaleMethod(models.TextChoices):
    DIAMETER = "diameter", "Known lesion diameter"
    RULER = "ruler", "Two points on a ruler"


class LesionImageQuerySet(models.QuerySet["LesionImage"]):
    def visible_to(self, user: Any) -> LesionImageQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(case__organisation_id=user.organisation_id)


def _image_path(instance: LesionImage, filename: str) -> str:
    # `filename` is already random (see the upload service); the case folder keeps directories small.
    return f"cases/{instance.case_id}/{filename}"


class LesionImage(models.Model):
    """A photo of the case's lesion, re-encoded without metadata and stored under a random name.

    The uploader's original filename is deliberately not stored: phone file names can carry patient names.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="images")
    capture_type = models.CharField(max_length=16, choices=CaptureType.choices, default=CaptureType.CLINICAL)
    file = models.FileField(upload_to=_image_path, max_length=255)
    thumbnail = models.FileField(upload_to=_image_path, max_length=255)
    # Long edge <= 2048 px, what pages show (image_processing.DISPLAY_MAX_SIDE). Empty for photos stored before
    # derivatives existed until `manage.py photos_derive` runs; the display view serves the original meanwhile.
    display = models.FileField(upload_to=_image_path, max_length=255, blank=True)
    content_type = models.CharField(max_length=32, help_text="Of the stored (re-encoded) file.")
    sha256 = models.CharField(max_length=64, help_text="Of the uploaded bytes: finds duplicates in a case.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField(help_text="Of the stored (re-encoded) file.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ungradable_reason = models.CharField(max_length=200, blank=True)
    ungradable_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ungradable_at = models.DateTimeField(null=True, blank=True)
    # Capture details (ISIC vocabulary, `cases/services/capture_details.py`): editable until a finding is signed.
    # Polarised/contact describe dermoscopy only (ISIC `dermoscopic_type`); None means not recorded.
    dermoscopy_polarised = models.BooleanField("polarised", null=True, blank=True)
    dermoscopy_contact = models.BooleanField("contact", null=True, blank=True)
    framing = models.CharField(max_length=16, choices=Framing.choices, blank=True)
    # Scale: millimetres per pixel of the stored photo, from a known diameter or two points on a ruler
    # (`scale_points`: {"points": [[x, y], [x, y]], "mm": float} in stored-photo pixels).
    scale_method = models.CharField(max_length=16, choices=ScaleMethod.choices, blank=True)
    scale_mm_per_px = models.FloatField("millimetres per pixel", null=True, blank=True)
    scale_points = models.JSONField(default=dict, blank=True)
    # A reviewer's on-screen measurement of the lesion's longest diameter ({"points": [[x, y], [x, y]]}).
    measured_diameter_mm = models.FloatField("longest diameter (mm)", null=True, blank=True)
    measured_points = models.JSONField(default=dict, blank=True)

    objects = LesionImageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sha256"], name="image_unique_per_case"),
            models.CheckConstraint(
                condition=models.Q(scale_mm_per_px__isnull=True) | models.Q(scale_mm_per_px__gt=0),
                name="image_scale_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Image {self.pk} of case {self.case_id}"

    @property
    def is_ungradable(self) -> bool:
        return bool(self.ungradable_at)
