"""The files of a training export, written into a hidden folder beside OUT and moved into place when complete.

    OUT/all.jsonl      every record, each with its `split`
    OUT/train.jsonl    the records of the training split   (python -m inference_worker.finetune --data)
    OUT/eval.jsonl     the records of the evaluation split (python -m inference_worker.evaluate --labels)
    OUT/images/        the photos, re-encoded, under random names (--images OUT/images for both tools)
    OUT/manifest.json  counts, exclusions, the split rule and seed, who exported and when

A half-written export never sits at OUT: a failure removes the hidden folder, and a reader sees either nothing or
a complete export (`ExportFolder.publish` moves it with one rename). OUT must not exist, or be an empty folder, so two exports never mix.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

from dermreview.cases.models import LesionImage
from dermreview.cases.services.image_processing import ImageRejected, image_clean
from dermreview.review.services.training.pseudonyms import SPLITS
from dermreview.review.services.training.selection import StoredPhoto

IMAGES_DIR = "images"
ALL_FILE = "all.jsonl"
MANIFEST_FILE = "manifest.json"
SPLIT_FILES = {split: f"{split}.jsonl" for split in SPLITS}
# `image_clean` makes a thumbnail as well; the export throws it away, so it is made as small as allowed.
_THROWAWAY_THUMBNAIL = 16


class ExportRefused(Exception):
    """The export cannot start (OUT not empty, bad options); nothing was written."""


def check_out(out: Path) -> None:
    """Refuse an OUT that holds anything: a second export must never mix with, or overwrite, a first."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportRefused(f"{out} already exists and is not an empty folder; choose a new one.")


class ExportFolder:
    """The hidden folder an export is written into (`export_folder`), then moved to OUT by `publish`."""

    def __init__(self, root: Path, out: Path) -> None:
        self.root = root
        self.out = out
        (root / IMAGES_DIR).mkdir(parents=True)

    def publish(self) -> None:
        """Move the complete export to OUT. Call it last inside the transaction that records the export, so a
        failed move rolls the record back."""
        check_out(self.out)
        if self.out.exists():
            self.out.rmdir()  # empty (checked): the rename needs it gone
        os.replace(self.root, self.out)

    def add_photo(self, photo: StoredPhoto) -> str | None:
        """Decode the stored photo and write it re-encoded (pixels only: no EXIF, GPS, ICC or comment) under a
        random name; that name, relative to OUT/images, or None when the stored file cannot be read or decoded."""
        storage = LesionImage._meta.get_field("file").storage
        try:
            with storage.open(photo.name, "rb") as stored:
                data = stored.read()
            # The upload cap may have been lowered since the photo was stored: its own size is allowed.
            clean = image_clean(data=data, max_pixels=max(settings.DERMREVIEW_UPLOAD_MAX_PIXELS, photo.pixels),
                                thumbnail_size=_THROWAWAY_THUMBNAIL)
        except (OSError, ImageRejected):
            return None
        name = f"{secrets.token_hex(16)}.jpg"
        (self.root / IMAGES_DIR / name).write_bytes(clean.data)
        return name

    def write_records(self, records: Iterable[dict[str, Any]]) -> None:
        """All records in `all.jsonl` and each split's in its own file, ordered by photo name (random, so the order
        says nothing about when a case was seen or signed)."""
        ordered = sorted(records, key=lambda record: record["image"])
        _write_jsonl(self.root / ALL_FILE, ordered)
        for split, file_name in SPLIT_FILES.items():
            _write_jsonl(self.root / file_name, (record for record in ordered if record["split"] == split))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
        (self.root / MANIFEST_FILE).write_text(text, encoding="utf-8")


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


@contextmanager
def export_folder(out: Path) -> Iterator[ExportFolder]:
    """An `ExportFolder` beside `out`, removed when the block ends unless `publish()` moved it to `out`."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = ExportFolder(out.parent / f".{out.name}.partial-{secrets.token_hex(4)}", out)
    try:
        yield folder
    finally:
        if folder.root.exists():
            shutil.rmtree(folder.root, ignore_errors=True)
