"""Test photos, made on the fly."""

from __future__ import annotations

from PIL import Image


def solid_image(width: int, height: int, *, shade: int = 0, mode: str = "RGB") -> Image.Image:
    """A plain test photo; ``shade`` varies the colour so the images in a batch differ."""
    colour = (120 + shade % 100, 80, 60)
    image = Image.new("RGB", (width, height), colour)
    return image if mode == "RGB" else image.convert(mode)
