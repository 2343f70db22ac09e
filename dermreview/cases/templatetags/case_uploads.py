"""Template helpers for the case page's photo widgets (the upload form and the image grid)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from dermreview.cases.models import CaptureType

register = template.Library()


@register.simple_tag
def upload_limits() -> dict[str, Any]:
    """The limits `images_upload` enforces, so the form states them before anyone hits them."""
    return {
        "max_files": settings.DERMREVIEW_UPLOAD_MAX_FILES,
        "max_mb": f"{settings.DERMREVIEW_UPLOAD_MAX_BYTES / (1024 * 1024):g}",
        "max_megapixels": f"{settings.DERMREVIEW_UPLOAD_MAX_PIXELS / 1_000_000:g}",
        "capture_types": CaptureType.choices,
    }
