"""Decoding stored photos and resizing them to the visual-token budget."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from inference_worker.config import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS
from inference_worker.preprocess import decode_photo, fit_size, prepare_image, visual_token_count
from tests.inference_worker.images import solid_image


@pytest.mark.parametrize(
    ("width", "height"),
    [(4000, 3000), (3000, 4000), (640, 480), (300, 900), (1200, 1200), (50, 40), (32, 32), (8000, 100)],
)
def test_preprocess_fits_size_within_bounds_in_blocks_of_32(width: int, height: int) -> None:
    new_w, new_h = fit_size(width, height, min_pixels=DEFAULT_MIN_PIXELS, max_pixels=DEFAULT_MAX_PIXELS)
    assert new_w % 32 == 0 and new_h % 32 == 0
    assert DEFAULT_MIN_PIXELS <= new_w * new_h <= DEFAULT_MAX_PIXELS
    # Aspect ratio is kept up to the 32-pixel rounding.
    assert abs(new_w / new_h - width / height) / (width / height) < 0.35


def test_preprocess_twelve_megapixel_photo_costs_at_most_512_tokens() -> None:
    new_w, new_h = fit_size(4000, 3000, min_pixels=DEFAULT_MIN_PIXELS, max_pixels=DEFAULT_MAX_PIXELS)
    assert 400 < visual_token_count(new_w, new_h) <= 512


def test_preprocess_rejects_extreme_aspect_ratio() -> None:
    with pytest.raises(ValueError, match="aspect ratio"):
        fit_size(10_000, 20, min_pixels=DEFAULT_MIN_PIXELS, max_pixels=DEFAULT_MAX_PIXELS)


def test_preprocess_prepare_image_converts_to_rgb_and_leaves_input_alone() -> None:
    original = solid_image(1000, 700, mode="RGBA")
    prepared = prepare_image(original, min_pixels=4 * 1024, max_pixels=16 * 1024)
    assert prepared.mode == "RGB"
    assert prepared.size == fit_size(1000, 700, min_pixels=4 * 1024, max_pixels=16 * 1024)
    assert original.size == (1000, 700) and original.mode == "RGBA"


def test_preprocess_matches_the_qwen_image_processor_rule() -> None:
    smart_resize = pytest.importorskip("transformers.models.qwen2_vl.image_processing_qwen2_vl").smart_resize
    for width, height in [(4000, 3000), (300, 900), (1200, 1200), (37, 1001)]:
        new_w, new_h = fit_size(width, height, min_pixels=DEFAULT_MIN_PIXELS, max_pixels=DEFAULT_MAX_PIXELS)
        # On an image we have already sized, the processor's own resize must change nothing.
        assert smart_resize(
            new_h, new_w, factor=32, min_pixels=DEFAULT_MIN_PIXELS, max_pixels=DEFAULT_MAX_PIXELS
        ) == (new_h, new_w)


def _encoded(image: Image.Image, fmt: str) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    buffer.seek(0)
    return buffer


def test_preprocess_decode_photo_scales_a_large_jpeg_down_while_decoding() -> None:
    photo = _encoded(solid_image(2000, 1500), "JPEG")
    decoded = decode_photo(photo, max_pixels=16 * 1024)
    assert decoded.mode == "RGB"
    # Decoded at 1/8 scale, never below the budget: the resize to the budget is left to prepare_image.
    assert decoded.size == (250, 188)
    assert decoded.width * decoded.height >= 16 * 1024


def test_preprocess_decode_photo_keeps_small_and_non_jpeg_photos_whole() -> None:
    assert decode_photo(_encoded(solid_image(120, 90), "JPEG"), max_pixels=16 * 1024).size == (120, 90)
    png = decode_photo(_encoded(solid_image(400, 300, mode="RGBA"), "PNG"), max_pixels=16 * 1024)
    assert (png.size, png.mode) == ((400, 300), "RGB")


def test_preprocess_decode_photo_rejects_a_file_that_is_not_an_image() -> None:
    with pytest.raises(OSError):
        decode_photo(io.BytesIO(b"not an image"), max_pixels=16 * 1024)
