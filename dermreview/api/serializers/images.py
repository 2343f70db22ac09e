"""Photos of a case: output (with links to the protected media routes) and the multipart upload form."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dermreview.cases.isic import isic_image_metadata
from dermreview.cases.models import CaptureType, Framing, LesionImage, ScaleMethod
from dermreview.cases.selectors import image_positions


def _absolute(context: dict[str, Any], path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class ImageSerializer(serializers.ModelSerializer):
    case_id = serializers.IntegerField(read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    ungradable = serializers.BooleanField(source="is_ungradable", read_only=True)
    file_url = serializers.SerializerMethodField(
        help_text="The protected media route (browser session). Access is checked on every request.")
    thumbnail_url = serializers.SerializerMethodField(help_text="The protected thumbnail route (browser session).")
    display_url = serializers.SerializerMethodField(
        help_text="The display derivative (long edge <= 2048 px, privately cacheable with an ETag; browser session).")
    api_display_url = serializers.SerializerMethodField(help_text="The display derivative, for token clients.")
    api_file_url = serializers.SerializerMethodField(
        help_text="The same photo through the same protected view, for token clients.")
    api_thumbnail_url = serializers.SerializerMethodField(help_text="The thumbnail, for token clients.")
    draft_url = serializers.SerializerMethodField(help_text="This photo's AI draft (status, and fields if shown).")
    position = serializers.SerializerMethodField(
        help_text="The photo's number on its case (\u201cPhoto 1\u201d is the oldest), as every page names it.")
    # Declared, not derived: "" (not recorded) must be part of the documented choices.
    framing = serializers.ChoiceField(choices=Framing.choices, allow_blank=True, read_only=True,
                                      help_text="Overview or close-up; \"\" when not recorded.")
    scale_method = serializers.ChoiceField(choices=ScaleMethod.choices, allow_blank=True, read_only=True,
                                           help_text="How the scale was set; \"\" when there is none.")
    isic = serializers.SerializerMethodField(
        help_text="ISIC metadata of the photo: `image_type` and, for dermoscopy, `dermoscopic_type` (when recorded).")

    class Meta:
        model = LesionImage
        fields = [
            "id", "case_id", "capture_type", "content_type", "width", "height", "byte_size", "uploaded_by",
            "created_at", "ungradable", "ungradable_reason", "file_url", "thumbnail_url", "api_file_url",
            "api_thumbnail_url", "display_url", "api_display_url", "draft_url", "position",
            # Capture details (cases/services/capture_details.py), and the same in ISIC's vocabulary.
            "dermoscopy_polarised", "dermoscopy_contact", "framing", "scale_method", "scale_mm_per_px",
            "scale_points", "measured_diameter_mm", "measured_points", "isic",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_position(self, image: LesionImage) -> int:
        # One query per case, shared by every photo of a list (the context is the list serializer's).
        cache = self.context.setdefault("_image_positions", {})
        if image.case_id not in cache:
            cache[image.case_id] = image_positions(
                LesionImage.objects.filter(case_id=image.case_id).only("pk", "created_at"))
        return cache[image.case_id].get(image.pk, 0)

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_isic(self, image: LesionImage) -> dict[str, str]:
        return isic_image_metadata(image)

    @extend_schema_field(serializers.URLField())
    def get_file_url(self, image: LesionImage) -> str:
        return _absolute(self.context, reverse("cases:image_file", args=[image.pk]))

    @extend_schema_field(serializers.URLField())
    def get_thumbnail_url(self, image: LesionImage) -> str:
        return _absolute(self.context, reverse("cases:image_thumbnail", args=[image.pk]))

    @extend_schema_field(serializers.URLField())
    def get_api_file_url(self, image: LesionImage) -> str:
        return _absolute(self.context, reverse("api-image-file", args=[image.pk]))

    @extend_schema_field(serializers.URLField())
    def get_api_thumbnail_url(self, image: LesionImage) -> str:
        return _absolute(self.context, reverse("api-image-thumbnail", args=[image.pk]))

    @extend_schema_field(serializers.URLField())
    def get_display_url(self, image: LesionImage) -> str:
        return _absolute(self.context, reverse("cases:image_display", args=[image.pk]))

    @extend_schema_field(serializers.URLField())
    def get_api_display_url(self, image: LesionImage) -> str:
        return _absolute(self.context, reverse("api-image-display", args=[image.pk]))

    @extend_schema_field(serializers.URLField())
    def get_draft_url(self, image: LesionImage) -> str:
        return _absolute(self.context, reverse("api-image-draft", args=[image.pk]))


class ImageUploadSerializer(serializers.Serializer):
    """For the OpenAPI document only: the files themselves are judged by the upload service, file by file,
    exactly as in the browser (type sniffed from the bytes, size, pixels, duplicates)."""

    files = serializers.ListField(child=serializers.FileField(), help_text="One or more photos (repeat the part).")
    capture_type = serializers.ChoiceField(choices=CaptureType.choices)


class UploadFileResultSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="A display name only; the original name is never stored.")
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    code = serializers.CharField(help_text="accepted, duplicate, or a rejection code (unsupported_type, corrupt, "
                                           "too_large, too_many_pixels, empty, too_many_files, ...).")
    message = serializers.CharField()
    image_id = serializers.IntegerField(allow_null=True)


class UploadReportSerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    case_status = serializers.CharField()
    case_status_display = serializers.CharField()
    accepted = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    files = UploadFileResultSerializer(many=True)
    images = ImageSerializer(many=True, help_text="The photos stored by this upload.")
