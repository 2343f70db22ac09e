"""Turning untrusted upload bytes into a clean JPEG, its display derivative and its thumbnail.

Nothing here touches the database: `images_upload` (upload.py) calls `image_clean` on each file before it
opens a transaction, so a slow decode never holds a lock.

What "clean" means:
* the type is decided from the bytes (magic number, then Pillow's own detection, which must agree);
* the pixel count is checked from the header, before any pixel is decoded (decompression bombs);
* the whole image is decoded, so a truncated or corrupt file is rejected rather than stored half-grey;
* EXIF orientation is applied, colours are converted to sRGB when the file carries an ICC profile, and the
  result is re-encoded from pixels alone: no EXIF, GPS, XMP, ICC, comments or trailing bytes survive.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
import warnings
from dataclasses import dataclass
from enum import StrEnum

import pillow_heif
from django.conf import settings
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

# HEIC is what iPhones save by default; pillow-heif teaches Pillow to read it.
pillow_heif.register_heif_opener()
# Pillow's own bomb guard warns above MAX_IMAGE_PIXELS and refuses above twice that, for any image this
# process opens. Align it with the upload cap; `image_clean` also checks the cap itself, so a per-test or
# per-deployment override of the setting is honoured even though this line runs once.
Image.MAX_IMAGE_PIXELS = settings.DERMREVIEW_UPLOAD_MAX_PIXELS

STORED_CONTENT_TYPE = "image/jpeg"
# JPEG cannot hold a side longer than 65,535 pixels.
MAX_SIDE = 65_500
JPEG_QUALITY = 92
THUMBNAIL_QUALITY = 85
# The display derivative is what the review page and the viewer show: a phone's 12-megapixel photo is several MB
# at JPEG_QUALITY, its 2048-pixel derivative a few hundred KB. 4:2:0 chroma, unlike the stored photo's 4:4:4, saves
# about a third on screen-sized pixels; the full-colour original stays one click away ("Open original").
DISPLAY_MAX_SIDE = 2048
DISPLAY_QUALITY = 80
DISPLAY_NAME_LIMIT = 80

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# ISO-BMFF brands that mean "HEVC-coded HEIF". AVIF shares the container but not the codec and is not
# on the allow-list.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_GENERIC_BRANDS = frozenset({b"mif1", b"msf1"})

# Sniffed kind -> the only Pillow plugin allowed to parse it, and the formats it may report. Pillow's
# JPEG plugin reports "MPO" for a JPEG with extra frames, which some phone cameras write; the first frame
# is the photo.
_PILLOW_PLUGIN = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "HEIF"}
_PILLOW_FORMATS: dict[str, frozenset[str]] = {
    "JPEG": frozenset({"JPEG", "MPO"}),
    "PNG": frozenset({"PNG"}),
    "WEBP": frozenset({"WEBP"}),
    "HEIF": frozenset({"HEIF"}),
}


class RejectCode(StrEnum):
    """Why a file was not stored. The values are part of the API: clients may switch on them."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    TOO_MANY_FILES = "too_many_files"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_MANY_PIXELS = "too_many_pixels"
    CORRUPT = "corrupt"


class ImageRejected(Exception):
    """A file that will not be stored. `reason` completes a sentence that starts with the file's name."""

    def __init__(self, code: RejectCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    thumbnail: bytes
    display: bytes
    width: int
    height: int
    source_format: str
    content_type: str = STORED_CONTENT_TYPE


def sniff_format(data: bytes) -> str | None:
    """The allow-listed format the bytes start with ("JPEG", "PNG", "WEBP", "HEIF"), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if len(data) >= 16 and data[4:8] == b"ftyp":
        box_size = int.from_bytes(data[:4], "big")
        major = data[8:12]
        # Compatible brands follow the major brand and minor version, four bytes each.
        compatible = {data[i:i + 4] for i in range(16, min(box_size, len(data), 256) - 3, 4)}
        brands = {major} | compatible
        if b"avif" in brands or b"avis" in brands:
            return None
        if brands & _HEIC_BRANDS or major in _HEIF_GENERIC_BRANDS:
            return "HEIF"
    return None


def display_name(raw: str | None, *, limit: int = DISPLAY_NAME_LIMIT) -> str:
    """A file name that is safe to show back to the user, never to store.

    Strips any path, control and invisible formatting characters (NUL, bidi overrides that could disguise
    an extension) and shortens long names, keeping the extension.
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    name = " ".join(name.split())
    if name in {"", ".", ".."}:
        return "(unnamed file)"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        suffix = f".{ext}" if dot and stem and len(ext) <= 10 else ""
        name = name[: limit - len(suffix) - 1] + "…" + suffix
    return name


def image_clean(*, data: bytes, max_pixels: int | None = None, thumbnail_size: int | None = None) -> CleanImage:
    """Validate untrusted image bytes and re-encode them; raise `ImageRejected` with a user-facing reason."""
    max_pixels = max_pixels or settings.DERMREVIEW_UPLOAD_MAX_PIXELS
    thumbnail_size = thumbnail_size or settings.DERMREVIEW_THUMBNAIL_SIZE
    if not data:
        raise ImageRejected(RejectCode.EMPTY, "the file is empty.")
    kind = sniff_format(data)
    if kind is None:
        raise ImageRejected(
            RejectCode.UNSUPPORTED_TYPE,
            "not a JPEG, PNG, WebP or HEIC photo (its content was checked, not its name).",
        )
    image = _open_header(data, kind, max_pixels)
    # Pillow's process-wide switch to pad truncated images (WeasyPrint turns it on when imported): off, or a
    # truncated upload would be stored with grey where its data is missing instead of refused.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageRejected(RejectCode.CORRUPT, "the image data is damaged or incomplete; try uploading it again.") from exc
    except MemoryError as exc:
        raise ImageRejected(RejectCode.TOO_MANY_PIXELS, "the image is too large to process.") from exc
    try:
        rgb = _to_srgb(image)
    except (OSError, ValueError) as exc:
        raise ImageRejected(RejectCode.CORRUPT, "the image could not be converted; it may be damaged.") from exc
    finally:
        image.close()
    return CleanImage(
        data=_encode_jpeg(rgb, quality=JPEG_QUALITY, full=True),
        thumbnail=_encode_jpeg(_thumbnail(rgb, thumbnail_size), quality=THUMBNAIL_QUALITY, full=False),
        display=_display(rgb),
        width=rgb.width,
        height=rgb.height,
        source_format=kind,
    )


def image_display_derive(*, data: bytes) -> bytes:
    """The display derivative of an already stored (clean) JPEG: for photos stored before derivatives existed."""
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as stored:
        rgb = stored.convert("RGB")
    rgb.info = {}
    return _display(rgb)


def _display(rgb: Image.Image) -> bytes:
    """Long edge at most DISPLAY_MAX_SIDE (never enlarged), re-encoded at DISPLAY_QUALITY."""
    if max(rgb.size) > DISPLAY_MAX_SIDE:
        rgb = _thumbnail(rgb, DISPLAY_MAX_SIDE)
    buffer = io.BytesIO()
    rgb.save(buffer, "JPEG", quality=DISPLAY_QUALITY, subsampling=2, optimize=True, progressive=True)
    return buffer.getvalue()


def _open_header(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Parse the header only (Image.open is lazy) and refuse oversize images before decoding."""
    limit_text = f"{max_pixels / 1_000_000:g} megapixels"
    try:
        # Turn Pillow's bomb warning into an error for this call: an image above the cap is refused, not
        # decoded with a warning in the log. (catch_warnings is process-wide in Python 3.11; at worst another
        # thread briefly sees this filter, and the explicit size check below does not depend on it.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_PILLOW_PLUGIN[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            RejectCode.TOO_MANY_PIXELS, f"the image declares more than {limit_text}; it was not decoded."
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRejected(RejectCode.CORRUPT, "the file looks like an image but cannot be read; it may be damaged.") from exc
    if image.format not in _PILLOW_FORMATS[kind]:
        image.close()
        raise ImageRejected(RejectCode.UNSUPPORTED_TYPE, "its content does not match an allowed image format.")
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise ImageRejected(RejectCode.CORRUPT, "the image has no pixels.")
    if width * height > max_pixels:
        image.close()
        raise ImageRejected(
            RejectCode.TOO_MANY_PIXELS,
            f"the image is {width}×{height} pixels; the limit is {limit_text}. It was not decoded.",
        )
    if max(width, height) > MAX_SIDE:
        image.close()
        raise ImageRejected(RejectCode.TOO_MANY_PIXELS, f"the image is {width}×{height} pixels; a side may be at most {MAX_SIDE}.")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Upright, 8-bit sRGB pixels with no metadata attached."""
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if upright.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (upright.mode == "P" and "transparency" in upright.info):
        # JPEG has no alpha: put transparent areas on white, as a viewer would show them.
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    elif upright.mode not in {"RGB", "L", "CMYK"}:
        upright = upright.convert("RGB")
    if icc:
        # A broken or mismatched profile is dropped: the pixels are kept as stored, which is what most
        # viewers would have shown anyway.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError, TypeError):
            upright = ImageCms.profileToProfile(
                upright, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB, outputMode="RGB"
            )
    rgb = upright.convert("RGB")
    # Belt and braces: nothing from the source file may ride along into the encoder.
    rgb.info = {}
    return rgb


def _thumbnail(rgb: Image.Image, size: int) -> Image.Image:
    thumb = rgb.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    thumb.info = {}
    return thumb


def _encode_jpeg(rgb: Image.Image, *, quality: int, full: bool) -> bytes:
    buffer = io.BytesIO()
    # 4:4:4 chroma for the full image: colour detail matters in dermoscopy. Thumbnails use the default.
    options = {"subsampling": 0} if full else {}
    # No exif=, icc_profile= or comment=: the encoder writes pixels and a bare JFIF header only.
    rgb.save(buffer, "JPEG", quality=quality, **options)
    return buffer.getvalue()
