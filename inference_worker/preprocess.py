"""Bring a photo to a size the vision encoder can afford.

Qwen3-VL cuts an image into 16x16 patches and merges 2x2 of them into one visual token, so each
32x32 block of pixels costs one token of context. A 12 MP phone photo would be about 12,000
tokens; it is scaled down here, keeping its aspect ratio, so that width*height stays within
``[min_pixels, max_pixels]`` and both sides are multiples of 32.

The transformers engine also sets the image processor's ``size`` to the same bounds. The
processor's own resize uses the same rule, so on an image already prepared here it is a no-op;
resizing here first keeps the expensive work on a small image and makes the token count
predictable before the processor runs.
"""

from __future__ import annotations

import math
from typing import BinaryIO

from PIL import Image

PIXEL_BLOCK = 32  # patch size 16 x spatial merge 2
# The Qwen2-VL/Qwen3-VL image processor rejects images more elongated than this.
MAX_ASPECT_RATIO = 200.0


def fit_size(width: int, height: int, *, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """Target (width, height): multiples of 32, aspect ratio kept, area within the bounds.

    Raises ValueError for an empty image or one more elongated than the processor accepts.
    """
    if width < 1 or height < 1:
        raise ValueError(f"image has no pixels ({width}x{height})")
    ratio = max(width, height) / min(width, height)
    if ratio > MAX_ASPECT_RATIO:
        raise ValueError(f"image aspect ratio {ratio:.0f}:1 exceeds {MAX_ASPECT_RATIO:.0f}:1")

    def snap(side: float, rounding: str) -> int:
        blocks = {"round": round, "floor": math.floor, "ceil": math.ceil}[rounding](side / PIXEL_BLOCK)
        return max(PIXEL_BLOCK, int(blocks) * PIXEL_BLOCK)

    area = width * height
    if area > max_pixels:
        scale = math.sqrt(max_pixels / area)
        new_w, new_h = snap(width * scale, "floor"), snap(height * scale, "floor")
    elif area < min_pixels:
        scale = math.sqrt(min_pixels / area)
        new_w, new_h = snap(width * scale, "ceil"), snap(height * scale, "ceil")
    else:
        new_w, new_h = snap(width, "round"), snap(height, "round")
        # Rounding both sides up can push the area just past a bound.
        if new_w * new_h > max_pixels:
            new_w, new_h = snap(width, "floor"), snap(height, "floor")
        elif new_w * new_h < min_pixels:
            new_w, new_h = snap(width, "ceil"), snap(height, "ceil")
    return new_w, new_h


def visual_token_count(width: int, height: int) -> int:
    """Visual tokens for an image already sized by `fit_size`."""
    return (width // PIXEL_BLOCK) * (height // PIXEL_BLOCK)


def prepare_image(image: Image.Image, *, min_pixels: int, max_pixels: int) -> Image.Image:
    """An RGB copy of ``image`` sized by `fit_size`; the input is left untouched."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    size = fit_size(rgb.width, rgb.height, min_pixels=min_pixels, max_pixels=max_pixels)
    if size == rgb.size:
        return rgb.copy() if rgb is image else rgb
    # reducing_gap lets Pillow shrink a large photo by whole factors first: much faster on 12 MP
    # input, and indistinguishable at the target size.
    return rgb.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def decode_photo(source: BinaryIO, *, max_pixels: int) -> Image.Image:
    """Decode a stored photo to RGB, letting the JPEG decoder scale a large photo down on the way.

    The model sees at most ``max_pixels``: a JPEG bigger than that is decoded at 1/2, 1/4 or 1/8
    scale (never below the target size; `prepare_image` does the rest), so a 12 MP phone photo
    decodes in a fraction of the time. Other formats decode at full size. Raises `OSError`
    (including PIL's `UnidentifiedImageError`) or `ValueError` for a file that is not a readable
    image.
    """
    with Image.open(source) as opened:
        width, height = opened.size
        if opened.format == "JPEG" and width * height > max_pixels:
            scale = (max_pixels / (width * height)) ** 0.5
            opened.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        return opened.convert("RGB")
