"""The synthetic lesion fixture: deterministic, labelled in the harness's format, and drawn as its labels say."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFilter

from inference_worker.evaluation.labels import read_labels
from inference_worker.evaluation.lesion_classes import builtin_vocabulary
from inference_worker.fields import FINDING_FIELDS
from inference_worker.testing.synthetic_lesions import (
    LESION_TYPES,
    SKIN_TONES,
    LesionSpec,
    draw_lesion,
    main,
    sample_spec,
    write_fixture,
)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_synthetic_lesions_same_seed_same_files_other_seed_other_photos(tmp_path: Path) -> None:
    write_fixture(tmp_path / "a", count=6, seed=11, size=128)
    write_fixture(tmp_path / "b", count=6, seed=11, size=128)
    write_fixture(tmp_path / "c", count=6, seed=12, size=128)

    first = _files(tmp_path / "a")
    assert sorted(first) == ["labels.csv", "labels.jsonl", *(f"lesion-{i:04d}.png" for i in range(6))]
    assert first == _files(tmp_path / "b")
    assert first["lesion-0000.png"] != _files(tmp_path / "c")["lesion-0000.png"]


def test_synthetic_lesions_labels_read_by_the_harness_and_name_review_classes(tmp_path: Path) -> None:
    specs = write_fixture(tmp_path, count=len(LESION_TYPES), seed=3, size=96)

    from_csv = read_labels(tmp_path / "labels.csv", tmp_path)
    from_jsonl = read_labels(tmp_path / "labels.jsonl", tmp_path)

    assert [p.truth for p in from_csv] == [p.truth for p in from_jsonl] == [s.labels() for s in specs]
    vocabulary = builtin_vocabulary()
    classes = {p.truth["lesion_type"]: vocabulary.match(p.truth["lesion_type"]) for p in from_csv}
    assert all(found is not None for found in classes.values()), classes
    high_risk = {text for text, found in classes.items() if found is not None and found.high_risk}
    assert high_risk == {"melanoma", "basal cell carcinoma"}
    melanoma = from_csv[0].truth
    assert melanoma["symmetry"] == "asymmetric" and melanoma["borders"].startswith("irregular")
    assert " and " in melanoma["color"]  # several colours
    row = json.loads((tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["skin_tone"] in SKIN_TONES and set(FINDING_FIELDS) <= set(row)


def _lesion_mask(spec: LesionSpec) -> Image.Image:
    """Pixels that differ clearly from the skin tone: the lesion."""
    photo = draw_lesion(spec)
    difference = ImageChops.difference(photo, Image.new("RGB", photo.size, SKIN_TONES[spec.skin_tone]))
    red, green, blue = difference.split()
    return ImageChops.add(ImageChops.add(red, green), blue).point(lambda v: 255 if v > 60 else 0)


def _count(mask: Image.Image) -> int:
    return sum(mask.histogram()[1:])


def _half_turn_overlap(mask: Image.Image) -> float:
    turned = mask.rotate(180)
    return _count(ImageChops.multiply(mask, turned)) / _count(ImageChops.lighter(mask, turned))


def _outline_ratio(mask: Image.Image) -> float:
    """Edge pixels squared over area: about 20 for a smooth ellipse at this size, more for a notched outline."""
    return _count(mask.filter(ImageFilter.FIND_EDGES)) ** 2 / _count(mask)


@pytest.mark.parametrize("index", range(4))
def test_synthetic_lesions_shapes_are_symmetric_and_regular_as_labelled(index: int) -> None:
    rng = random.Random(index)
    kinds = {kind.name: n for n, kind in enumerate(LESION_TYPES)}

    def mask(name: str) -> Image.Image:
        spec = sample_spec(rng, kinds[name], size=192)
        return _lesion_mask(dataclasses.replace(spec, skin_tone="very light"))

    naevus, haemangioma, melanoma = mask("melanocytic naevus"), mask("haemangioma"), mask("melanoma")

    assert _half_turn_overlap(naevus) > 0.93 and _half_turn_overlap(haemangioma) > 0.93
    assert _half_turn_overlap(melanoma) < 0.8
    assert _outline_ratio(naevus) < 23 and _outline_ratio(melanoma) > 26


def test_synthetic_lesions_command_line_writes_the_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--count", "2", "--seed", "1", "--size", "64"]) == 0

    assert "wrote 2 photos" in capsys.readouterr().out
    with Image.open(tmp_path / "lesion-0001.png") as photo:
        assert photo.size == (64, 64)
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--count", "0"])
