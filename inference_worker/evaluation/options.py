"""Command-line options shared by the probe and the evaluation harness: which model, run how.

Both start from the worker's own configuration (`WorkerConfig.from_env`, so a ``DERMREVIEW_*`` setting of the
deployment applies here too) and override only what is given on the command line: a figure measured here is a
figure of the configuration the worker would run.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from PIL import Image

from inference_worker.config import WorkerConfig

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif"})


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """--model and the options that change how the engine runs (default: the DERMREVIEW_* environment)."""
    parser.add_argument("--model", required=True, help="hub id or local directory (as DERMREVIEW_MODEL)")
    parser.add_argument("--revision", default=None, help="hub revision (default: DERMREVIEW_MODEL_REVISION)")
    parser.add_argument("--device", choices=["auto", "cuda", "cpu"], default=None)
    parser.add_argument("--dtype", choices=["auto", "bfloat16", "float16", "float32"], default=None)
    parser.add_argument("--max-new-tokens", type=int, default=None, help="default: DERMREVIEW_MAX_NEW_TOKENS")
    parser.add_argument("--min-pixels", type=int, default=None, help="default: DERMREVIEW_MIN_PIXELS")
    parser.add_argument(
        "--max-pixels", type=int, default=None, help="default: DERMREVIEW_MAX_PIXELS (0: the profile's budget)"
    )


def engine_config(args: argparse.Namespace, **overrides: Any) -> WorkerConfig:
    """The worker's configuration from the environment, with the command line's values and ``overrides``.

    Raises ValueError (naming the variable or option) for a malformed value.
    """
    given = {
        "model": args.model, "model_revision": args.revision, "device": args.device, "dtype": args.dtype,
        "max_new_tokens": args.max_new_tokens, "min_pixels": args.min_pixels, "max_pixels": args.max_pixels,
    }
    changes = {name: value for name, value in given.items() if value is not None}
    return dataclasses.replace(WorkerConfig.from_env(), **changes, **overrides)


def find_photos(folder: Path, *, limit: int | None = None) -> list[Path]:
    """The photos directly in ``folder``, sorted by name; ValueError when there is none."""
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder")
    photos = sorted(path for path in folder.iterdir() if path.suffix.lower() in PHOTO_SUFFIXES and path.is_file())
    if not photos:
        raise ValueError(f"{folder}: no photos ({', '.join(sorted(PHOTO_SUFFIXES))})")
    return photos[:limit] if limit else photos


def open_photo(path: Path) -> Image.Image:
    """The photo at ``path``, decoded to RGB (HEIC too when pillow-heif is installed)."""
    if path.suffix.lower() in (".heic", ".heif"):
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:
            pass
    with Image.open(path) as opened:
        return opened.convert("RGB")
