"""The FHIR export's lesion additions: the Patient (pseudonym only), a BodyStructure per lesion with its laterality,
the change since the previous visit and the management plan as Observations, and, on request, the PDF report as the
DiagnosticReport's presentedForm. Every resource validates against its R4B model (`fhir.resources`)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from dermreview.api.exports.fhir_lesion import lesion_details
from dermreview.api.exports.fhir_writer import FhirBundleWriter
from dermreview.api.exports.records import ExportScope, UrlBuilder
from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaseStatus
from dermreview.cases.models.lesion import Lesion
from tests.dermreview.api.conftest import assert_error
from tests.dermreview.api.test_report_pdf import FollowUp, lesion_follow_up, pdf_text
from tests.factories import CaseFactory, ReviewFactory

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/findings/export/"
SYSTEM = "urn:dermreview:riverside"


def _bundle(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    raw = json.loads(b"".join(response.streaming_content))
    Bundle.model_validate(raw)
    for entry in raw.get("entry", []):  # each resource against its own R4B model, not only the envelope
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return raw


def _of_type(raw: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in raw.get("entry", []) if e["resource"]["resourceType"] == kind]


def _observation(raw: dict[str, Any], case_id: int, code: str) -> dict[str, Any]:
    return next(o for o in _of_type(raw, "Observation")
                if o["code"]["coding"][0]["code"] == code and o["id"].startswith(f"case-{case_id}-"))


@pytest.fixture
def follow_up(alice, bob) -> FollowUp:  # noqa: ANN001
    return lesion_follow_up(alice, bob)


def test_patient_is_written_once_with_the_pseudonym_only(api, alice, follow_up) -> None:  # noqa: ANN001
    raw = _bundle(api(alice).get(EXPORT, {"format": "fhir"}))

    [patient] = _of_type(raw, "Patient")  # two findings of one patient: one Patient
    assert patient["identifier"] == [{"system": f"{SYSTEM}:patient-ref", "value": "PT-REPORT-7"}]
    assert patient["birthDate"] == "1961" and patient["gender"] == "female"
    assert "name" not in patient and "address" not in patient and "telecom" not in patient
    patient_url = next(e["fullUrl"] for e in raw["entry"] if e["resource"] is patient or e["resource"] == patient)
    [body] = _of_type(raw, "BodyStructure")
    assert body["patient"]["reference"] == patient_url


def test_body_structure_codes_site_and_laterality(api, alice, follow_up) -> None:  # noqa: ANN001
    raw = _bundle(api(alice).get(EXPORT, {"format": "fhir"}))

    [body] = _of_type(raw, "BodyStructure")  # one lesion seen twice: one BodyStructure
    assert body["identifier"] == [{"system": f"{SYSTEM}:lesion", "value": str(follow_up.lesion.pk)}]
    assert body["location"]["coding"] == [{"system": "urn:dermreview:body-site", "code": "back", "display": "Back"}]
    assert body["locationQualifier"] == [{"coding": [{"system": "http://snomed.info/sct", "code": "7771000",
                                                      "display": "Left"}], "text": "Left"}]
    assert body["description"] == "L1 left scapula"
    position = {e["url"]: e for e in body["extension"][0]["extension"]}
    assert position["view"]["valueCoding"]["code"] == "back"
    assert (position["x"]["valueDecimal"], position["y"]["valueDecimal"]) == (0.31, 0.27)


@pytest.mark.parametrize(("laterality", "qualifier"), [
    ("right", [{"coding": [{"system": "http://snomed.info/sct", "code": "24028007", "display": "Right"}],
                "text": "Right"}]),
    ("midline", [{"text": "Midline"}]),
    ("unknown", None),
])
def test_body_structure_laterality_variants(api, alice, follow_up, laterality, qualifier) -> None:  # noqa: ANN001
    Lesion.objects.filter(pk=follow_up.lesion.pk).update(laterality=laterality)

    [body] = _of_type(_bundle(api(alice).get(EXPORT, {"format": "fhir"})), "BodyStructure")

    assert body.get("locationQualifier") == qualifier


def test_change_and_plan_are_observations_of_the_finding(api, alice, follow_up) -> None:  # noqa: ANN001
    raw = _bundle(api(alice).get(EXPORT, {"format": "fhir"}))
    body_url = next(e["fullUrl"] for e in raw["entry"] if e["resource"]["resourceType"] == "BodyStructure")
    case = follow_up.case

    change = _observation(raw, case.pk, "change-since-previous-visit")
    assert change["valueCodeableConcept"]["coding"][0]["code"] == "changed"
    assert [c["valueCodeableConcept"]["coding"][0]["code"] for c in change["component"]] == ["size", "colour"]
    plan = _observation(raw, case.pk, "management-plan")
    assert plan["valueCodeableConcept"]["coding"][0] == {
        "system": "urn:dermreview:management-plan", "code": "biopsy", "display": "Biopsy or excise"}
    assert "component" not in plan  # no follow-up date with a biopsy
    for observation in (change, plan):
        assert observation["status"] == "final"
        assert observation["meta"]["tag"][0]["code"] == "reviewer-confirmed"
        assert observation["identifier"] == [{"system": f"{SYSTEM}:finding", "value": f"case-{case.pk}-v1"}]
        assert observation["extension"] == [{"url": "http://hl7.org/fhir/StructureDefinition/bodySite",
                                             "valueReference": {"reference": body_url}}]
        assert observation["performer"][0]["display"] == "bob"
    # The previous visit's plan: monitor, with its follow-up date as a component.
    earlier = _observation(raw, follow_up.previous.pk, "management-plan")
    assert earlier["valueCodeableConcept"]["coding"][0]["code"] == "monitor"
    assert earlier["component"][0]["code"]["coding"][0]["code"] == "follow-up-date"
    assert earlier["component"][0]["valueDateTime"] == follow_up.previous.reviews.get().follow_up_on.isoformat()
    # The DiagnosticReport's `result` stays the six finding fields; the Provenance covers the plan too.
    report = next(r for r in _of_type(raw, "DiagnosticReport") if r["id"] == f"case-{case.pk}-v1")
    assert len(report["result"]) == 6
    provenance = next(p for p in _of_type(raw, "Provenance") if p["id"] == f"case-{case.pk}-v1-provenance")
    plan_url = next(e["fullUrl"] for e in raw["entry"] if e["resource"] is plan or e["resource"] == plan)
    assert {"reference": plan_url} in provenance["target"]


def test_an_older_sign_off_without_a_plan_has_no_plan_observations(api, alice, bob) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    ReviewFactory(case=case, reviewer=bob, management_plan="", change_since_previous="")

    raw = _bundle(api(alice).get(EXPORT, {"format": "fhir"}))

    codes = {o["code"]["coding"][0]["code"] for o in _of_type(raw, "Observation")}
    assert not codes & {"management-plan", "change-since-previous-visit"}
    assert not _of_type(raw, "Patient")  # a case linked to no patient: the identifier only, as before


def test_pdf_report_is_the_presented_form_only_on_request(api, alice, follow_up, tmp_path) -> None:  # noqa: ANN001
    plain = _bundle(api(alice).get(EXPORT, {"format": "fhir"}))
    assert not any("presentedForm" in r for r in _of_type(plain, "DiagnosticReport"))

    raw = _bundle(api(alice).get(EXPORT, {"format": "fhir", "include_reports": "true"}))

    report = next(r for r in _of_type(raw, "DiagnosticReport") if r["id"] == f"case-{follow_up.case.pk}-v1")
    [form] = report["presentedForm"]
    content = base64.b64decode(form["data"])
    assert form["contentType"] == "application/pdf" and content.startswith(b"%PDF-")
    assert form["size"] == len(content)
    assert form["hash"] == base64.b64encode(hashlib.sha1(content).digest()).decode()  # noqa: S324
    text = pdf_text(content, tmp_path)
    assert "PT-REPORT-7" in text and "Biopsy or excise" in text
    assert follow_up.sign_event.hash in text.replace(" ", "")
    export = AuditEvent.objects.filter(action="findings.export").order_by("-sequence").first()
    assert export.details["include_reports"] is True


def test_presented_form_is_left_out_for_a_case_that_is_not_final(alice, follow_up) -> None:  # noqa: ANN001
    writer = FhirBundleWriter(scope=ExportScope(organisation_id=alice.organisation_id), urls=UrlBuilder("http://t"),
                              system=SYSTEM, meta={"exported_by": "alice"}, include_reports=True)
    details = lesion_details([follow_up.review.pk])[follow_up.review.pk]

    assert writer._presented_form(details, version=1)
    amending = dataclasses.replace(details, case_status=CaseStatus.NEEDS_SECOND_REVIEW)
    assert writer._presented_form(amending, version=1) == []
    assert writer._presented_form(details, version=2) == []  # the row's version is no longer the case's


def test_include_reports_is_refused_outside_fhir(api, alice, follow_up) -> None:  # noqa: ANN001
    body = assert_error(api(alice).get(EXPORT, {"format": "json", "include_reports": "true"}), 400)
    assert body["fields"]["include_reports"] == ["PDF reports go into FHIR bundles only: use format=fhir."]
    assert not AuditEvent.objects.filter(action="findings.export").exists()


def test_lesion_resources_cost_one_query_per_chunk_not_per_finding(alice, bob) -> None:  # noqa: ANN001
    def export_queries() -> tuple[int, int]:
        writer = FhirBundleWriter(scope=ExportScope(organisation_id=alice.organisation_id),
                                  urls=UrlBuilder("http://t"), system=SYSTEM,
                                  meta={"exported_by": "alice", "export_id": "x", "generated_at": "2026-12-01"})
        with CaptureQueriesContext(connection) as queries:
            body = json.loads("".join(writer.write()))
        return len(queries), len(_of_type(body, "BodyStructure"))

    lesion_follow_up(alice, bob)
    few, lesions = export_queries()
    for n in range(3):
        lesion_follow_up(alice, bob, reference=f"PT-REPORT-{n}")

    assert (lesions, export_queries()) == (1, (few, 4))
