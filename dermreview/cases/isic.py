"""Our capture details in the ISIC metadata vocabulary (`image_type`, `dermoscopic_type`).

The values come from the `isic-metadata` package (ImageMarkup's validator of ISIC Archive metadata), so an export
or a comparison with ISIC data uses exactly the archive's strings.
"""

from __future__ import annotations

from typing import Any

from isic_metadata.fields import DermoscopicTypeEnum, ImageTypeEnum

from dermreview.cases.models import CaptureType, Framing


def isic_image_type(*, capture_type: str, framing: str) -> str | None:
    """ISIC `image_type`: "dermoscopic", or "clinical: overview"/"clinical: close-up" (None when unrecorded)."""
    if capture_type == CaptureType.DERMOSCOPIC:
        return ImageTypeEnum.dermoscopic.value
    if framing == Framing.OVERVIEW:
        return ImageTypeEnum.clinical_overview.value
    if framing == Framing.CLOSE_UP:
        return ImageTypeEnum.clinical_close_up.value
    return None


def isic_dermoscopic_type(*, capture_type: str, polarised: bool | None, contact: bool | None) -> str | None:
    """ISIC `dermoscopic_type`. None for clinical photos, when either half is unrecorded, and for non-contact
    non-polarised dermoscopy, which ISIC has no value for (it barely exists: without contact fluid or polarised
    light the surface glare hides the structures)."""
    if capture_type != CaptureType.DERMOSCOPIC or polarised is None or contact is None:
        return None
    if contact:
        return (DermoscopicTypeEnum.contact_polarized if polarised else DermoscopicTypeEnum.contact_non_polarized).value
    return DermoscopicTypeEnum.non_contact_polarized.value if polarised else None


def isic_image_metadata(image: Any) -> dict[str, str]:
    """The ISIC fields a photo has values for (`image`: a LesionImage)."""
    values = {
        "image_type": isic_image_type(capture_type=image.capture_type, framing=image.framing),
        "dermoscopic_type": isic_dermoscopic_type(
            capture_type=image.capture_type, polarised=image.dermoscopy_polarised, contact=image.dermoscopy_contact,
        ),
    }
    return {name: value for name, value in values.items() if value is not None}
