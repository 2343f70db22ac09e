"""The enrolment QR code, drawn here as inline SVG: the secret never leaves the server for a QR service."""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice


def qr_svg(text: str) -> SafeString:
    """An `<svg>` element (one path, no style attribute, so the CSP's style-src is kept) encoding `text`."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # Generated here from geometry alone: no user text ends up in the markup.
    return mark_safe(svg)  # noqa: S308


def authenticator_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it by hand: base32 without padding, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
