"""`manage.py diagnosis_classes_export`: the clinic's vocabulary as the offline evaluation harness reads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dermreview.cases.models import DiagnosisClass
from inference_worker.evaluation.lesion_classes import load_vocabulary
from tests.factories import DiagnosisClassFactory

pytestmark = pytest.mark.django_db


def _export(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    out = tmp_path / "classes.json"
    call_command("diagnosis_classes_export", "--out", str(out), *args)
    return json.loads(out.read_text(encoding="utf-8"))


def test_diagnosis_classes_export_writes_the_shared_vocabulary(tmp_path: Path) -> None:
    rows = _export(tmp_path)

    shared = DiagnosisClass.objects.filter(organisation__isnull=True, active=True)
    assert [row["code"] for row in rows] == list(shared.order_by("ordering", "name").values_list("code", flat=True))
    assert set(rows[0]) == {"code", "name", "high_risk", "synonyms", "abbreviations"}
    bcc = next(row for row in rows if row["code"] == "bcc")
    assert bcc["high_risk"] is True and "BCC" in bcc["abbreviations"] and "rodent ulcer" in bcc["synonyms"]


def test_diagnosis_classes_export_adds_the_clinics_own_classes_not_another_clinics(
    tmp_path: Path, alice: Any, mallory: Any,
) -> None:
    DiagnosisClassFactory(organisation=alice.organisation, code="poro", name="Porokeratosis of Mibelli",
                          synonyms=["porokeratosis"], high_risk=False)
    DiagnosisClassFactory(organisation=mallory.organisation, code="elsewhere", name="Another clinic's class")
    DiagnosisClass.objects.filter(code="wart").update(active=False)  # no longer matched: not exported

    rows = _export(tmp_path, "--organisation", alice.organisation.slug)

    codes = [row["code"] for row in rows]
    assert codes[-1] == "poro" and "elsewhere" not in codes and "wart" not in codes
    assert "poro" not in [row["code"] for row in _export(tmp_path)]  # shared only without --organisation


def test_diagnosis_classes_export_is_what_the_evaluation_harness_matches_with(tmp_path: Path, alice: Any) -> None:
    DiagnosisClassFactory(organisation=alice.organisation, code="poro", name="Porokeratosis of Mibelli",
                          synonyms=["porokeratosis"], high_risk=True)
    _export(tmp_path, "--organisation", alice.organisation.slug)

    vocabulary = load_vocabulary(tmp_path / "classes.json")

    melanoma = vocabulary.match("Superficial spreading melanoma")
    assert melanoma is not None and (melanoma.code, melanoma.high_risk) == ("mel-ss", True)
    own = vocabulary.match("porokeratosis, 4 mm")
    assert own is not None and (own.code, own.high_risk) == ("poro", True)


def test_diagnosis_classes_export_refuses_an_unknown_clinic(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No organisation with the slug 'nowhere'"):
        call_command("diagnosis_classes_export", "--out", str(tmp_path / "x.json"), "--organisation", "nowhere")
    assert not (tmp_path / "x.json").exists()
