"""The evaluation's lesion-class matcher: its frozen vocabulary agrees with the seed migration; it matches as the
review side does. The migration and the confusables table are read with ast, never imported (no Django here)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from inference_worker.evaluation.lesion_classes import (
    DATA_FILE,
    builtin_vocabulary,
    data_from_repository,
    load_vocabulary,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATION = REPO_ROOT / "dermreview/cases/migrations/0004_seed_diagnosis_classes.py"
CONFUSABLES = REPO_ROOT / "dermreview/common/confusables.py"
REGENERATE = "python -m inference_worker.evaluation.lesion_classes --regenerate"


def _assigned(path: Path, name: str) -> object:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == name and node.value is not None:  # type: ignore[union-attr]
            return ast.literal_eval(node.value)  # type: ignore[union-attr]
    raise AssertionError(f"{name} not found in {path}")


def test_lesion_classes_data_agrees_with_the_seed_migration() -> None:
    seed = _assigned(MIGRATION, "SEED")
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))

    frozen = [(c["code"], c["name"], c["high_risk"], tuple(c["synonyms"]), tuple(c["abbreviations"]))
              for c in data["classes"]]
    assert frozen == list(seed), f"the vocabulary copy is stale: run {REGENERATE}"
    high_risk = {row[1] for row in seed if row[2]}  # type: ignore[index]
    assert {c.name for c in builtin_vocabulary().classes if c.high_risk} == high_risk
    assert {"Melanoma", "Basal cell carcinoma", "Squamous cell carcinoma"} <= high_risk


def test_lesion_classes_data_agrees_with_the_confusables_table_and_the_generator() -> None:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))

    assert data["confusables"] == _assigned(CONFUSABLES, "_PAIRS"), f"stale: run {REGENERATE}"
    assert data_from_repository(REPO_ROOT) == data


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Melanoma", "mel"),
        ("  MALIGNANT   melanoma ", "mel"),
        ("nodular BCC, 4 mm", "bcc-nod"),  # named first among equally serious classes
        ("B.C.C.", "bcc"),  # dotted abbreviation closed up
        ("naevus, ?melanoma", "mel"),  # the most serious class named wins
        ("blue nevus", "naevus-blue"),  # American spelling; the longer name over "naevus"
        ("Seborrheic keratosis", "sk"),
        ("hemangioma", "haemangioma"),
        ("Bowen\u2019s disease", "scc-is"),  # curly apostrophe
        ("naevi", "naevus"),
        ("mel\u0430noma", "mel"),  # Cyrillic a, a look-alike the table maps
        ("mela\u200bnoma", "mel"),  # zero-width space dropped
        ("Basal cell carcinomas", "bcc"),  # plural
    ],
)
def test_lesion_class_match_finds_the_class_the_review_side_would(text: str, code: str) -> None:
    found = builtin_vocabulary().match(text)

    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["", "macule", "pearly papule", "no other findings", "m\u0435l\u0561noma"])
def test_lesion_class_match_names_no_class_for_other_text(text: str) -> None:
    assert builtin_vocabulary().match(text) is None


def test_lesion_classes_from_a_file_and_a_clear_error_for_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "classes.json"
    good.write_text(json.dumps({"classes": [
        {"code": "spot", "name": "Spot", "high_risk": False, "synonyms": ["dot"]},
        {"code": "bad-spot", "name": "Bad spot", "high_risk": True, "abbreviations": ["BS"]},
    ]}), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"classes": [{"code": "spot"}]}), encoding="utf-8")

    vocabulary = load_vocabulary(good)

    assert [c.code for c in vocabulary.classes] == ["spot", "bad-spot"]
    assert vocabulary.match("a dot, BS?").code == "bad-spot"  # type: ignore[union-attr]
    assert vocabulary.match("melanoma") is None
    with pytest.raises(ValueError, match="bad.json: class 1 needs code, name and high_risk"):
        load_vocabulary(bad)
