"""The pictures of a case report: photos read through Django's storage API, and the body-map figure with its marker.

Everything is embedded in the PDF as `data:` URIs, and the renderer fetches nothing else (`render.py`), so no
photo is ever read by filesystem path: photos may live in object storage, and the storage backend is the only
reader. The display copy (long edge <= 2048 px) is embedded, or the original while no display copy exists yet.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from django.contrib.staticfiles import finders

from dermreview.cases.models import CaptureType, LesionImage
from dermreview.cases.models.lesion import BodyMapView, Lesion
from dermreview.cases.models.lesion_image import Framing

SVG_NS = "http://www.w3.org/2000/svg"
# A marker radius as a fraction of the figure's shorter side: visible on a small print, never hiding the figure.
MARKER_RADIUS = 0.025
_VIEWBOX_NUMBERS = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True, slots=True)
class ReportPhoto:
    """One photo of a visit, as the report shows it: "Photo N", how it was taken, and the embedded image."""

    position: int
    capture: str  # "Dermoscopic, polarised, contact; close-up"
    taken_at: datetime
    data_uri: str


@dataclass(frozen=True, slots=True)
class BodyMapPosition:
    """Where the lesion is on the body map: always in words, and drawn when the view's figure exists."""

    view: str  # "Front"
    words: str  # "Front view, 42% from the left, 31% from the top"
    figure_uri: str  # the figure with the marker as an SVG data URI; "" when there is no figure to draw on


def capture_words(image: LesionImage) -> str:
    """How a photo was taken, in the words of the capture details (ISIC's vocabulary where one exists)."""
    # "Clinical", not the choice's "Clinical (overview)": the framing (overview or close-up) is said apart.
    parts = [image.capture_type.capitalize()]
    if image.capture_type == CaptureType.DERMOSCOPIC:
        if image.dermoscopy_polarised is not None:
            parts.append("polarised" if image.dermoscopy_polarised else "non-polarised")
        if image.dermoscopy_contact is not None:
            parts.append("contact" if image.dermoscopy_contact else "non-contact")
    words = ", ".join(parts)
    if image.framing:
        words += f"; {str(Framing(image.framing).label).lower()}"
    if image.measured_diameter_mm is not None:
        words += f"; longest diameter {image.measured_diameter_mm:.1f} mm"
    return words


def photo_data_uri(image: LesionImage) -> str:
    """The photo's display copy (the original until one is made) as a data URI, read through its storage."""
    stored = image.display if image.display.name else image.file
    content_type = "image/jpeg" if image.display.name else image.content_type
    with stored.storage.open(stored.name, "rb") as handle:
        data = handle.read()
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def report_photo(image: LesionImage, position: int) -> ReportPhoto:
    return ReportPhoto(position=position, capture=capture_words(image), taken_at=image.created_at,
                       data_uri=photo_data_uri(image))


def body_map_position(lesion: Lesion | None) -> BodyMapPosition | None:
    """The lesion's place on the body map; None when it was never placed (lesions migrated from older cases)."""
    if lesion is None or not lesion.map_view or lesion.map_x is None or lesion.map_y is None:
        return None
    view = str(BodyMapView(lesion.map_view).label)
    words = f"{view} view, {lesion.map_x:.0%} from the left, {lesion.map_y:.0%} from the top"
    return BodyMapPosition(view=view, words=words, figure_uri=_figure_with_marker(lesion))


def _figure_with_marker(lesion: Lesion) -> str:
    """static/img/body-map/<view>.svg with a marker at the lesion's position; "" while the figure is not drawn
    (or cannot be read as SVG with a viewBox): the report then says the position in words only."""
    path = finders.find(f"img/body-map/{lesion.map_view}.svg")
    if not path:
        return ""
    try:
        root = ElementTree.parse(path).getroot()  # noqa: S314 - our own static file, not user input
    except ElementTree.ParseError:
        return ""
    box = [float(n) for n in _VIEWBOX_NUMBERS.findall(root.get("viewBox", ""))]
    if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        return ""
    min_x, min_y, width, height = box
    ElementTree.register_namespace("", SVG_NS)
    ElementTree.SubElement(root, f"{{{SVG_NS}}}circle", {
        "cx": f"{min_x + lesion.map_x * width:.2f}", "cy": f"{min_y + lesion.map_y * height:.2f}",
        "r": f"{MARKER_RADIUS * min(width, height):.2f}", "fill": "#c0392b", "stroke": "#ffffff",
        "stroke-width": f"{MARKER_RADIUS * min(width, height) / 3:.2f}", "class": "report-marker",
    })
    svg = ElementTree.tostring(root, encoding="utf-8")
    return f"data:image/svg+xml;base64,{base64.b64encode(svg).decode('ascii')}"
