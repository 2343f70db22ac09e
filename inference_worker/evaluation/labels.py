"""The labels file of an evaluation: one photo and its six true fields per row, as CSV or JSON Lines.

Columns (CSV header or JSON keys): ``image``, the photo's path relative to the images folder, and the six finding
fields. Headings are matched leniently, so a dataset exported with the card's headings reads as it is: case,
spaces, hyphens and underscores do not matter ("Lesion Type", "lesion-type") and "colour" is "color". Other
columns are ignored.

Every problem is a `LabelsError` naming the file, the line and the column (or JSON column), read before any photo
is drafted: a missing photo found after an hour of drafting would waste the hour.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from inference_worker.fields import FINDING_FIELDS

IMAGE_COLUMN = "image"
_COLUMNS = (IMAGE_COLUMN, *FINDING_FIELDS)
_SEPARATORS = re.compile(r"[\s_\-]+")
_SPELLINGS = {"colour": "color"}


class LabelsError(ValueError):
    """A labels file that cannot be used; the message names the file, line and column."""


@dataclass(frozen=True, slots=True)
class LabelledPhoto:
    """One row: where it was (``line``), the photo as named (``image``) and found (``path``), the true fields."""

    line: int
    image: str
    path: Path
    truth: dict[str, str]


def column_name(heading: str) -> str:
    """The column a heading means: "Lesion Type" and "lesion-type" are lesion_type, "Colour" is color."""
    key = _SEPARATORS.sub("", heading.strip().casefold())
    key = _SPELLINGS.get(key, key)
    for name in _COLUMNS:
        if key == name.replace("_", ""):
            return name
    return heading.strip()


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
    """(first line of the row, values by column, where each column is) for every CSV record."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise LabelsError(f"{path}: the file is empty")
            names = [column_name(heading) for heading in header]
            where = {name: f"column {index} ({name!r})" for index, name in enumerate(names, start=1)}
            missing = [name for name in _COLUMNS if name not in names]
            if missing:
                raise LabelsError(f"{path}, line 1: the header has no column {', '.join(map(repr, missing))} "
                                  f"(found: {', '.join(map(repr, header))})")
            start = reader.line_num + 1
            for record in reader:
                if any(value.strip() for value in record):
                    yield start, dict(zip(names, record, strict=False)), where
                start = reader.line_num + 1
        except csv.Error as exc:
            raise LabelsError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                raise LabelsError(f"{path}, line {number}, column {exc.colno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise LabelsError(f"{path}, line {number}, column 1: expected a JSON object")
            values = {column_name(key): value for key, value in row.items()}
            yield number, values, {name: f"field {name!r}" for name in _COLUMNS}


def _value(path: Path, line: int, values: dict[str, Any], name: str, where: str) -> str:
    value = values.get(name)
    if value is None:
        raise LabelsError(f"{path}, line {line}, {where}: missing")
    if not isinstance(value, str):
        raise LabelsError(f"{path}, line {line}, {where}: expected text, found {type(value).__name__}")
    if not value.strip():
        raise LabelsError(f"{path}, line {line}, {where}: empty")
    return value.strip()


def _check_photo(photo: Path, where: str) -> None:
    if not photo.is_file():
        raise LabelsError(f"{where}: no photo at {photo}")
    try:
        with Image.open(photo) as image:
            image.size  # noqa: B018 - the header is read lazily; this reads it
    except (UnidentifiedImageError, OSError) as exc:
        raise LabelsError(f"{where}: {photo} is not a readable image ({exc})") from None


def read_labels(path: Path, images_dir: Path) -> list[LabelledPhoto]:
    """Every labelled photo of ``path`` (``.csv``, or ``.jsonl``/``.ndjson``), each photo checked to open."""
    path, images_dir = Path(path), Path(images_dir)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(path)
    else:
        raise LabelsError(f"{path}: a labels file is .csv or .jsonl (JSON Lines), not {suffix or 'no suffix'}")
    if not path.is_file():
        raise LabelsError(f"{path}: no such labels file")
    if not images_dir.is_dir():
        raise LabelsError(f"{images_dir}: no such images folder")
    photos: list[LabelledPhoto] = []
    first_seen: dict[str, int] = {}
    for line, values, where in rows:
        image = _value(path, line, values, IMAGE_COLUMN, where[IMAGE_COLUMN])
        if image in first_seen:
            raise LabelsError(f"{path}, line {line}, {where[IMAGE_COLUMN]}: {image!r} is already on line "
                              f"{first_seen[image]}")
        first_seen[image] = line
        _check_photo(images_dir / image, f"{path}, line {line}, {where[IMAGE_COLUMN]}")
        truth = {name: _value(path, line, values, name, where[name]) for name in FINDING_FIELDS}
        photos.append(LabelledPhoto(line=line, image=image, path=images_dir / image, truth=truth))
    if not photos:
        raise LabelsError(f"{path}: no labelled photos")
    return photos
