"""Checks of the objects before they leave: `dciodvfy` (dicom3tools) when installed, else the IOD's mandatory modules'
Type 1 and Type 2 attributes from highdicom's copy of the standard.

dciodvfy knows every IOD, its conditions and value rules; its "Error" lines fail, its warnings do not (it warns,
for instance, about attributes a DICOMDIR would want).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from pydicom import dcmwrite
from pydicom.dataset import Dataset


class InvalidDicom(ValueError):
    """An object DermReview built breaks its IOD's rules: a bug, never sent."""


@dataclass(frozen=True, slots=True)
class Verdict:
    tool: str  # "dciodvfy" or "highdicom"
    errors: tuple[str, ...]
    warnings: tuple[str, ...]


def dataset_bytes(dataset: Dataset) -> bytes:
    """The object as a DICOM Part 10 file (preamble, file meta), as STOW-RS sends it."""
    buffer = io.BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def check(dataset: Dataset) -> Verdict:
    tool = shutil.which("dciodvfy")
    return _dciodvfy(tool, dataset) if tool else _required_attributes(dataset)


def assert_valid(dataset: Dataset) -> Verdict:
    verdict = check(dataset)
    if verdict.errors:
        raise InvalidDicom(f"{dataset.SOPInstanceUID} ({verdict.tool}): " + "; ".join(verdict.errors[:5]))
    return verdict


def _dciodvfy(tool: str, dataset: Dataset) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="dermreview-dicom-") as folder:
        path = Path(folder) / "object.dcm"
        path.write_bytes(dataset_bytes(dataset))
        result = subprocess.run([tool, "-new", str(path)], capture_output=True, text=True, timeout=60, check=False)
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return Verdict(tool="dciodvfy", errors=tuple(line for line in lines if line.startswith("Error")),
                   warnings=tuple(line for line in lines if line.startswith("Warning")))


@cache
def _standard(name: str) -> dict:
    return json.loads(resources.files("highdicom").joinpath("_standard", name).read_text())


def _required_attributes(dataset: Dataset) -> Verdict:
    iod = _standard("sop_class_iod_map.json").get(str(dataset.SOPClassUID))
    if iod is None:
        return Verdict(tool="highdicom", errors=(f"unknown SOP class {dataset.SOPClassUID}",), warnings=())
    modules = _standard("module_attribute_map.json")
    errors: list[str] = []
    for module in _standard("iod_module_map.json")[iod]:
        if module["usage"] != "M":
            continue
        for attribute in modules[module["key"]]:
            if attribute["path"] or attribute["type"] not in ("1", "2"):
                continue
            keyword = attribute["keyword"]
            if keyword not in dataset:
                errors.append(f"Error - Type {attribute['type']} {keyword} missing ({module['key']})")
            elif attribute["type"] == "1" and dataset[keyword].is_empty:
                errors.append(f"Error - Type 1 {keyword} empty ({module['key']})")
    return Verdict(tool="highdicom", errors=tuple(errors), warnings=())
