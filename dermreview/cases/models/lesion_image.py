from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dermreview.cases.models.case import Case


class CaptureType(models.TextChoices):
    CLINICAL = "clinical", "Clinical (overview)"
    DERMOSCOPIC = "dermoscopic", "Dermoscopic"


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

    objects = LesionImageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sha256"], name="image_unique_per_case"),
        ]

    def __str__(self) -> str:
        return f"Image {self.pk} of case {self.case_id}"

    @property
    def is_ungradable(self) -> bool:
        return bool(self.ungradable_at)
