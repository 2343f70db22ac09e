"""The DICOM objects of a final case: the IODs, their validation, the pseudonymous patient, the SR's content."""

from __future__ import annotations

from typing import Any

import pytest
from pydicom import dcmread

from dermreview.pacs.dicom import validate
from dermreview.pacs.dicom.images import DERMOSCOPIC_PHOTOGRAPHY_IMAGE, VL_PHOTOGRAPHIC_IMAGE
from dermreview.pacs.models import DicomSend
from dermreview.pacs.services.deliver import build_objects
from dermreview.pacs.services.send import dicom_send_request

pytestmark = pytest.mark.django_db


def _texts(item: Any) -> list[str]:
    """Every text, name, date-time and code meaning in an SR content tree."""
    found: list[str] = []
    for child in getattr(item, "ContentSequence", []):
        for keyword in ("TextValue", "PersonName", "DateTime"):
            if keyword in child:
                found.append(str(child.get(keyword)))
        if "ConceptCodeSequence" in child:
            found.append(child.ConceptCodeSequence[0].CodeMeaning)
        found += _texts(child)
    return found


def _objects(case: Any, bob: Any) -> tuple[DicomSend, list[Any]]:
    send = dicom_send_request(case=case, user=bob)
    return send, build_objects(DicomSend.objects.select_related("case", "review").get(pk=send.pk))


def test_dicom_objects_pass_validation_with_the_right_iods(final_case: Any, bob: Any, archive_settings: Any) -> None:
    send, objects = _objects(final_case, bob)
    clinical, dermoscopic, report = objects
    assert clinical.SOPClassUID == VL_PHOTOGRAPHIC_IMAGE and clinical.Modality == "XC"
    assert dermoscopic.SOPClassUID == DERMOSCOPIC_PHOTOGRAPHY_IMAGE
    assert (dermoscopic.LightSourcePolarization, dermoscopic.ContactMethod) == ("POLARIZED", "NON_CONTACT")
    assert report.SOPClassUID.name == "Comprehensive SR Storage"
    for dataset in objects:
        verdict = validate.check(dataset)
        assert verdict.errors == (), verdict
        # Written and read back as the archive would receive it.
        assert dcmread(__import__("io").BytesIO(validate.dataset_bytes(dataset))).SOPInstanceUID == dataset.SOPInstanceUID
    assert [d.SOPInstanceUID for d in objects] == send.sop_instance_uids
    assert {d.StudyInstanceUID for d in objects} == {send.study_instance_uid}


def test_only_the_pseudonym_identifies_the_patient(final_case: Any, bob: Any, archive_settings: Any) -> None:
    _send, objects = _objects(final_case, bob)
    for dataset in objects:
        assert dataset.PatientID == final_case.patient_ref
        assert str(dataset.PatientName) == f"{final_case.patient_ref}^"
        assert dataset.IssuerOfPatientID == "DERMREVIEW-riverside"
        assert dataset.PatientBirthDate == ""  # the year of birth stays in DermReview
    image = objects[0]
    region = image.AnatomicRegionSequence[0]
    assert (region.CodeValue, region.CodingSchemeDesignator) == ("77568009", "SCT")  # back
    assert region.AnatomicRegionModifierSequence[0].CodeValue == "7771000"  # left
    assert image.ImageLaterality == "L"


def test_report_carries_the_signed_finding_ai_provenance_and_signer(final_case: Any, bob: Any,
                                                                    archive_settings: Any) -> None:
    _send, objects = _objects(final_case, bob)
    report = objects[-1]
    review = final_case.reviews.get()
    texts = _texts(report)
    for name in ("lesion_type", "color", "symmetry", "borders", "texture", "summary"):
        assert getattr(review, name) in texts
    assert "light brown with a darker centre" in texts  # the human's edit, not the AI's text
    assert review.lesion_class.name in texts
    assert "Reassure and discharge" in texts
    snapshot = review.draft_snapshot
    assert {snapshot["model_id"], snapshot["model_revision"], snapshot["prompt_version"]} <= set(texts)
    assert any("draft" in text and "never a finding" in text for text in texts)
    assert "AI draft accepted with edits" in texts and "Colour" in " ".join(texts)
    assert "bob^" in texts and "first review" in texts
    assert report.VerificationFlag == "VERIFIED" and report.CompletionFlag == "COMPLETE"
    referenced = {item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
                  for item in report.ContentSequence if item.ValueType == "IMAGE"}
    assert referenced == {d.SOPInstanceUID for d in objects[:-1]}


def test_uids_are_the_same_on_every_build_and_the_study_survives_an_amendment(final_case: Any, bob: Any,
                                                                              archive_settings: Any) -> None:
    send, first = _objects(final_case, bob)
    again = build_objects(DicomSend.objects.select_related("case", "review").get(pk=send.pk))
    assert [d.SOPInstanceUID for d in again] == [d.SOPInstanceUID for d in first]
    assert [d.SeriesInstanceUID for d in again] == [d.SeriesInstanceUID for d in first]
    # A later version (an amendment) keeps the case's study and the photos' UIDs, with a new report.
    from dermreview.pacs.dicom.uids import study_uids

    v2 = study_uids(root=send.uid_root, study_uid=send.study_instance_uid, image_ids=[i.pk for i in
                    final_case.images.order_by("pk")], version=2)
    assert list(v2.images.values()) == send.sop_instance_uids[:-1] and v2.report != send.sop_instance_uids[-1]


def test_fallback_validator_names_a_missing_mandatory_attribute(final_case: Any, bob: Any, archive_settings: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _send, objects = _objects(final_case, bob)
    image = objects[0]
    monkeypatch.setattr(validate.shutil, "which", lambda name: None)  # as on a host without dicom3tools
    assert validate.check(image).tool == "highdicom" and validate.check(image).errors == ()
    del image.Rows
    with pytest.raises(validate.InvalidDicom, match="Rows"):
        validate.assert_valid(image)


def test_dciodvfy_rejects_what_breaks_the_iod(final_case: Any, bob: Any, archive_settings: Any) -> None:
    if validate.shutil.which("dciodvfy") is None:
        pytest.skip("needs dicom3tools' dciodvfy (apt-get install dicom3tools)")
    _send, objects = _objects(final_case, bob)
    dermoscopic = objects[1]
    dermoscopic.ContactMethod = "TOUCHING"
    with pytest.raises(validate.InvalidDicom, match="ContactMethod"):
        validate.assert_valid(dermoscopic)
