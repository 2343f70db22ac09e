"""`manage.py training_export`: final signed findings only, de-identified, opted-out cases left out, split by patient,
audited, and readable by the fine-tuning and evaluation tools of `inference_worker`."""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from PIL import Image

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.services.claim import case_claim
from dermreview.review.services.signoff import review_amend
from dermreview.review.services.training import ExportRefused, training_export
from dermreview.review.services.training.pseudonyms import EVAL, TRAIN, split_of
from dermreview.review.services.ungradable import image_mark_ungradable
from inference_worker.evaluation.labels import read_labels
from inference_worker.training.dataset import read_records, select_split
from tests import factories
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, ready_case, sign
from tests.fixtures.upload_corpus import jpeg_with_gps

PSEUDONYM = re.compile(r"^[pc]-[0-9a-f]{20}$")
EDITED_SUMMARY = "Symmetric light-brown macule, regular network on dermoscopy; benign naevus. Reviewer's own words."
AMENDED_BORDERS = "slightly irregular at 3 o'clock"


@pytest.fixture(autouse=True)
def _fixed_installation_key(settings: Any) -> None:
    # The pseudonym key derives from the audit key: fixed here, so the split of a given patient is the same on
    # every machine and the fraction assertions below are exact, not probable.
    settings.DERMREVIEW_AUDIT_KEY = "training-export-test-key"


def _export(clinic: Any, out: Path, **options: Any) -> dict[str, Any]:
    return training_export(organisation=clinic, out=out, **options).manifest


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _all_text(out: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(out.glob("*.json*")))


def _final_case(owner: Any, patient_ref: str, *, photos: int = 1, opted_out: bool = False) -> Any:
    """A final case of `patient_ref`, written directly (fixture data; the sign-off services are tested apart)."""
    case = factories.CaseFactory(organisation=owner.organisation, created_by=owner, status=CaseStatus.FINAL,
                                 patient_ref=patient_ref, training_opt_out=opted_out)
    for _ in range(photos):
        factories.LesionImageFactory(case=case, uploaded_by=owner)
    factories.ReviewFactory(case=case)
    return case


def test_training_export_writes_the_signed_final_version_never_a_draft_or_an_unsigned_case(clinic, alice, bob,
                                                                                          dave, tmp_path):
    edited = ready_case(alice, patient_ref="PT-EDITED", drafts=2)
    sign(edited, bob, fields={**NEVUS, "summary": EDITED_SUMMARY},
         confirmed=[name for name in FINDING_FIELDS if name != "summary"])
    amended = ready_case(alice, patient_ref="PT-AMENDED")
    original = sign(amended, bob)
    case_claim(case=amended, user=dave)
    amended.refresh_from_db()
    review_amend(review=original, reviewer=dave, fields={**NEVUS, "borders": AMENDED_BORDERS},
                 reason="Dermoscopy reread", expected_lock_version=amended.lock_version, attestation=True)
    ready_case(alice, patient_ref="PT-DRAFTONLY")  # a ready AI draft, never signed
    factories.LesionImageFactory(case=factories.CaseFactory(organisation=clinic, created_by=alice,
                                                            status=CaseStatus.AWAITING_REVIEW))
    in_amendment = ready_case(alice, patient_ref="PT-REOPENED")
    reopened = sign(in_amendment, bob)
    case_claim(case=in_amendment, user=dave)
    in_amendment.refresh_from_db()
    review_amend(review=reopened, reviewer=dave, fields=MELANOMA, reason="Regression structures missed",
                 expected_lock_version=in_amendment.lock_version, attestation=True)  # awaits a second reviewer

    manifest = _export(clinic, tmp_path / "out")

    records = _lines(tmp_path / "out" / "all.jsonl")
    by_case = defaultdict(list)
    for record in records:
        by_case[record["case"]].append(record)
    assert len(records) == 3 and len(by_case) == 2  # two photos of the edited case, one of the amended case
    summaries = {record["summary"] for record in records}
    assert summaries == {EDITED_SUMMARY, NEVUS["summary"]}  # the signed text; the draft's summary of `edited` is gone
    [amended_record] = [r for r in records if r["summary"] == NEVUS["summary"]]
    assert amended_record["borders"] == AMENDED_BORDERS  # the current version, not the superseded one
    assert manifest["excluded"]["cases"] == {"opted_out": 0, "not_final": 2, "amendment_in_progress": 1,
                                             "incomplete_finding": 0, "no_usable_photo": 0}
    assert manifest["counts"]["photos"] == 3 and manifest["counts"]["cases"] == 2
    assert MELANOMA["summary"] not in _all_text(tmp_path / "out")


def test_training_export_leaves_out_opted_out_cases_and_counts_them(clinic, alice, tmp_path):
    kept = _final_case(alice, "PT-KEPT")
    _final_case(alice, "PT-OPTOUT", photos=2, opted_out=True)

    manifest = _export(clinic, tmp_path / "out")

    records = _lines(tmp_path / "out" / "all.jsonl")
    assert len(records) == 1 and manifest["excluded"]["cases"]["opted_out"] == 1
    assert len(list((tmp_path / "out" / "images").iterdir())) == 1  # the opted-out photos are not written either
    assert kept.images.count() == 1


def test_training_export_splits_by_patient_stably_and_near_the_fraction(clinic, alice, tmp_path):
    for number in range(40):
        _final_case(alice, f"PT-{number:04d}")
        if number % 4 == 0:  # a second visit, the reference written in another case: still the same patient
            _final_case(alice, f"pt-{number:04d}", photos=2)

    first = _export(clinic, tmp_path / "one", seed=7)
    again = _export(clinic, tmp_path / "two", seed=7)
    other_seed = _export(clinic, tmp_path / "three", seed=8)

    def split_by_patient(out: Path) -> dict[str, set[str]]:
        splits: dict[str, set[str]] = defaultdict(set)
        for record in _lines(out / "all.jsonl"):
            splits[record["patient"]].add(record["split"])
        return splits

    one = split_by_patient(tmp_path / "one")
    assert len(one) == 40 and all(len(splits) == 1 for splits in one.values())  # no patient in both splits
    assert one == split_by_patient(tmp_path / "two")  # same seed, same pseudonyms, same split
    assert one != split_by_patient(tmp_path / "three")  # the seed decides
    eval_patients = first["counts"]["by_split"][EVAL]["patients"]
    assert 4 <= eval_patients <= 12 and first["counts"]["by_split"][TRAIN]["patients"] == 40 - eval_patients
    assert first["split"]["seed"] == 7 and first["split"]["eval_fraction"] == 0.2 and "sha256" in first["split"]["rule"]
    assert again["counts"] == first["counts"] and other_seed["counts"]["photos"] == first["counts"]["photos"] == 60
    for split in (TRAIN, EVAL):
        rows = _lines(tmp_path / "one" / f"{split}.jsonl")
        assert {row["split"] for row in rows} == {split} and len(rows) == first["counts"]["by_split"][split]["photos"]


def test_split_rule_holds_the_fraction_over_many_patients():
    patients = [f"p-{number:020x}" for number in range(4000)]
    share = sum(split_of(p, seed=0, eval_fraction=0.2) == EVAL for p in patients) / len(patients)
    assert 0.18 <= share <= 0.22
    assert all(split_of(p, seed=0, eval_fraction=0.0) == TRAIN for p in patients[:100])
    assert all(split_of(p, seed=0, eval_fraction=1.0) == EVAL for p in patients[:100])


def test_training_export_reencodes_photos_without_any_metadata(clinic, alice, tmp_path):
    case = _final_case(alice, "PT-GPS", photos=0)
    # Stored as a phone wrote it, bypassing the upload's cleaning: the export must not rely on that having run.
    factories.LesionImageFactory(case=case, uploaded_by=alice, file=ContentFile(jpeg_with_gps(), name="gps.jpg"))
    with Image.open(io.BytesIO(jpeg_with_gps())) as source:
        assert source.getexif().get_ifd(0x8825)  # the fixture does carry a GPS position

    _export(clinic, tmp_path / "out")

    [photo] = (tmp_path / "out" / "images").iterdir()
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", photo.name)
    data = photo.read_bytes()
    with Image.open(photo) as exported:
        assert exported.format == "JPEG" and exported.size == (64, 48)
        assert not exported.getexif() and not {"exif", "icc_profile", "comment"} & set(exported.info)
    assert b"Exif" not in data and b"Patient Jane Example" not in data and b"PhoneMaker" not in data


def test_training_export_ids_are_pseudonyms_and_no_patient_details_leave(clinic, alice, tmp_path):
    case = _final_case(alice, "PT-SECRET-77")
    case.clinical_notes = "Lives at 12 Acacia Avenue, born 1961-04-02."
    case.lesion_label = "L-left-shoulder-77"
    case.save()

    _export(clinic, tmp_path / "out")

    [record] = _lines(tmp_path / "out" / "all.jsonl")
    assert PSEUDONYM.match(record["patient"]) and PSEUDONYM.match(record["case"])
    assert set(record) == {"image", "split", "patient", "case", "capture_type", "lesion_class", *FINDING_FIELDS}
    text = _all_text(tmp_path / "out")
    for secret in ("PT-SECRET-77", "pt-secret-77", "Acacia", "1961", "L-left-shoulder", alice.username):
        assert secret not in text


def test_training_export_is_audited_with_counts_and_no_patient_data(clinic, alice, adam, tmp_path):
    _final_case(alice, "PT-AUDIT-1")
    _final_case(alice, "PT-AUDIT-2", opted_out=True)

    manifest = _export(clinic, tmp_path / "out", user=adam, run_by="ops")

    event = AuditEvent.objects.get(action="training.export")
    assert event.actor == adam and event.organisation == clinic
    assert event.details["counts"] == manifest["counts"] and event.details["excluded"]["cases"]["opted_out"] == 1
    assert event.details["exported_by"] == {"user": "adam", "os_user": "ops"}
    details = json.dumps(event.details)
    assert "PT-AUDIT" not in details and not any(record["patient"] in details or record["image"] in details
                                                 for record in _lines(tmp_path / "out" / "all.jsonl"))
    assert manifest["exported_by"] == {"user": "adam", "os_user": "ops"} and manifest["exported_at"]


def test_training_export_is_readable_by_the_evaluation_and_fine_tuning_tools(clinic, alice, tmp_path):
    for number in range(3):
        _final_case(alice, f"PT-TOOL-{number}", photos=2)

    _export(clinic, tmp_path / "held-out", eval_fraction=1.0)
    _export(clinic, tmp_path / "train", eval_fraction=0.0)

    labelled = read_labels(tmp_path / "held-out" / "eval.jsonl", tmp_path / "held-out" / "images")
    assert len(labelled) == 6 and labelled[0].truth == {name: factories.SAMPLE_FINDING[name] for name in FINDING_FIELDS}
    records = read_records(tmp_path / "train" / "all.jsonl", tmp_path / "train" / "images")
    assert len(select_split(records)) == 6 and all(record.image.is_file() for record in records)
    assert (tmp_path / "train" / "eval.jsonl").read_text() == ""


def test_training_export_leaves_out_ungradable_photos_and_respects_the_window(clinic, alice, bob, tmp_path):
    case = ready_case(alice, patient_ref="PT-BLURRED", drafts=2)
    image_mark_ungradable(image=case.images.order_by("pk").last(), reviewer=bob, reason="Blurred")
    sign(case, bob)
    signed_at = case.reviews.get().signed_at

    manifest = _export(clinic, tmp_path / "out")
    late = _export(clinic, tmp_path / "late", since=signed_at + timedelta(seconds=1))
    early = _export(clinic, tmp_path / "early", until=signed_at)

    assert manifest["counts"]["photos"] == 1 and manifest["excluded"]["photos"]["ungradable"] == 1
    assert late["counts"]["photos"] == 0 and (tmp_path / "late" / "all.jsonl").read_text() == ""
    assert early["counts"]["photos"] == 0  # until is exclusive


def test_training_export_refuses_a_used_folder_and_writes_nothing(clinic, alice, tmp_path):
    _final_case(alice, "PT-ONCE")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportRefused):
        _export(clinic, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "out"] and sorted(out.iterdir()) == [out / "notes.txt"]
    assert not AuditEvent.objects.filter(action="training.export").exists()
    (tmp_path / "empty").mkdir()
    assert _export(clinic, tmp_path / "empty")["counts"]["photos"] == 1


def test_training_export_command(clinic, alice, adam, mallory, tmp_path):
    _final_case(alice, "PT-CMD")
    stdout = io.StringIO()
    call_command("training_export", "--organisation", "riverside", "--out", str(tmp_path / "out"), "--user", "adam",
                 "--since", "2020-01-01", "--seed", "3", stdout=stdout)
    assert "Exported 1 photos of 1 cases" in stdout.getvalue()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["split"]["seed"] == 3 and manifest["window"]["since"].startswith("2020-01-01")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("training_export", "--organisation", "nowhere", "--out", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="not an administrator"):
        call_command("training_export", "--organisation", "riverside", "--out", str(tmp_path / "y"),
                     "--user", mallory.username)
    with pytest.raises(CommandError, match="already exists"):
        call_command("training_export", "--organisation", "riverside", "--out", str(tmp_path / "out"))
    assert AuditEvent.objects.filter(action="training.export").count() == 1
