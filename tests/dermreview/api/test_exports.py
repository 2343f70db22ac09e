"""Exports: JSON and CSV round-trip the final findings, the FHIR bundle validates (R4B), drafts are never final,
every export is audited, and memory stays flat however many findings stream out."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from rest_framework.settings import api_settings

from dermreview.api.exports import records as export_records
from dermreview.api.exports.csv_writer import COLUMNS, csv_cell_value
from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus, LesionImage
from dermreview.drafting.models import FINDING_FIELDS, Draft
from dermreview.review.models import Review, ReviewOutcome
from dermreview.review.services.signoff import review_amend
from tests.dermreview.api.conftest import assert_error
from tests.dermreview.review.review_helpers import MELANOMA, claim, ready_case, sign
from tests.factories import (
    SAMPLE_FINDING,
    BlindFindingFactory,
    CaseFactory,
    DraftFactory,
    LesionImageFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/findings/export/"


def _body(response) -> bytes:  # noqa: ANN001
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content)


def _snapshot(draft) -> dict[str, Any]:  # noqa: ANN001
    return {"draft_id": draft.pk, "image_id": draft.image_id, "fields": draft.finding_fields(),
            "model_id": draft.model_id, "model_revision": draft.model_revision,
            "prompt_version": draft.prompt_version}


@pytest.fixture
def findings(alice, bob, dave, mallory, final_case) -> dict[str, Any]:  # noqa: ANN001
    """Final findings (single and dual review), an amended one, and rows that must not be exported."""
    org = alice.organisation
    dual = CaseFactory(organisation=org, created_by=alice, status=CaseStatus.FINAL, high_risk=True,
                       lesion_label="=HYPERLINK(\"http://x\")")
    dual_draft = DraftFactory(image=LesionImageFactory(case=dual, uploaded_by=alice), lesion_type="melanoma")
    ReviewFactory(case=dual, reviewer=bob, draft=dual_draft, draft_snapshot=_snapshot(dual_draft), round=1,
                  lesion_type="melanoma", signed_at=timezone.now() - timedelta(minutes=5))
    ReviewFactory(case=dual, reviewer=dave, draft=dual_draft, draft_snapshot=_snapshot(dual_draft), round=2,
                  lesion_type="melanoma in situ", outcome=ReviewOutcome.EDITED, edited_fields=["lesion_type"],
                  disagreement_fields=["lesion_type"], summary="-ve margins; excise.")

    amended = CaseFactory(organisation=org, created_by=alice, status=CaseStatus.FINAL)
    v1 = ReviewFactory(case=amended, reviewer=bob, outcome=ReviewOutcome.MANUAL, voided_at=timezone.now(),
                       voided_by=dave, summary="Old text.")
    ReviewFactory(case=amended, reviewer=dave, version=2, supersedes=v1, outcome=ReviewOutcome.MANUAL,
                  amendment_reason="Histology came back.", summary="Amended text.")

    waiting = CaseFactory(organisation=org, created_by=alice, status=CaseStatus.NEEDS_SECOND_REVIEW)
    ReviewFactory(case=waiting, reviewer=bob, lesion_type="melanoma", summary="Awaiting second review.")
    pending = CaseFactory(organisation=org, created_by=alice, status=CaseStatus.AWAITING_REVIEW)
    DraftFactory(image=LesionImageFactory(case=pending, uploaded_by=alice), summary="Draft only, nobody signed.")
    foreign = CaseFactory(organisation=mallory.organisation, created_by=mallory, status=CaseStatus.FINAL)
    ReviewFactory(case=foreign, reviewer=mallory, summary="Another clinic's finding.")
    return {"final": [final_case, dual, amended], "waiting": waiting, "pending": pending, "foreign": foreign}


def _expected(case: Case) -> dict[str, Any]:
    """What the export must say about a final case, straight from the database."""
    standing = list(Review.objects.filter(case=case, voided_at__isnull=True).order_by("round"))
    last = standing[-1]
    snapshot = last.draft_snapshot or {}
    return {
        "finding_id": f"case-{case.pk}-v{last.version}",
        "review_id": last.pk,
        "patient_ref": case.patient_ref,
        "fields": last.finding_fields(),
        "outcome": last.outcome,
        "edited_fields": list(last.edited_fields),
        "reviewers": [r.reviewer.username for r in standing],
        "reviewer_ids": [r.reviewer_id for r in standing],
        "signed_at": last.signed_at,
        "ai_fields": snapshot.get("fields"),
        "ai_model_id": snapshot.get("model_id"),
        "images": sorted(case.images.values_list("pk", flat=True)),
        "amendment_reason": last.amendment_reason,
        "lesion_class": last.lesion_class,
    }


def test_json_export_round_trips_the_final_findings(api, carol, findings) -> None:  # noqa: ANN001
    body = json.loads(_body(api(carol).get(EXPORT, {"format": "json"})))
    records = {r["case"]["id"]: r for r in body["findings"]}
    assert set(records) == {c.pk for c in findings["final"]}  # not the waiting, pending or foreign cases
    for case in findings["final"]:
        record, want = records[case.pk], _expected(case)
        assert (record["kind"], record["reviewed"]) == ("signed_finding", True)
        assert record["finding_id"] == want["finding_id"] and record["review_id"] == want["review_id"]
        assert record["case"]["patient_ref"] == want["patient_ref"]
        assert record["fields"] == want["fields"]
        assert record["outcome"] == want["outcome"] and record["edited_fields"] == want["edited_fields"]
        assert [r["username"] for r in record["reviewers"]] == want["reviewers"]
        assert [r["id"] for r in record["reviewers"]] == want["reviewer_ids"]
        assert record["signed_at"] == want["signed_at"].isoformat()
        assert [i["id"] for i in record["images"]] == want["images"]
        assert record["amendment_reason"] == want["amendment_reason"]
        assert record["lesion_class"] == {"code": want["lesion_class"].code, "name": want["lesion_class"].name,
                                          "high_risk": want["lesion_class"].high_risk}
        if want["ai_fields"] is None:
            assert record["ai_draft"] is None
        else:
            assert record["ai_draft"]["fields"] == want["ai_fields"]
            assert (record["ai_draft"]["kind"], record["ai_draft"]["reviewed"]) == ("ai_draft", False)
            assert record["ai_draft"]["model_id"] == want["ai_model_id"]
            assert record["ai_draft"]["prompt_version"] == "test-1"
    assert body["export"]["include_drafts"] is False and body["export"]["status"] == "final"


def test_csv_export_round_trips_the_final_findings(api, alice, findings) -> None:  # noqa: ANN001
    text = _body(api(alice).get(EXPORT, {"format": "csv"})).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    by_case = {int(row["case_id"]): {k: csv_cell_value(v) for k, v in row.items()} for row in rows}
    assert set(by_case) == {c.pk for c in findings["final"]}
    for case in findings["final"]:
        row, want = by_case[case.pk], _expected(case)
        assert (row["kind"], row["reviewed"], row["finding_id"]) == ("signed_finding", "true", want["finding_id"])
        assert {name: row[name] for name in FINDING_FIELDS} == want["fields"]
        assert row["reviewers"].split(";") == want["reviewers"]
        assert [int(i) for i in row["reviewer_ids"].split(";")] == want["reviewer_ids"]
        assert row["signed_at"] == want["signed_at"].isoformat()
        assert row["outcome"] == want["outcome"]
        assert row["edited_fields"] == ";".join(want["edited_fields"])
        assert row["lesion_label"] == case.lesion_label
        assert (row["lesion_class_code"], row["lesion_class_name"], row["lesion_class_high_risk"]) == (
            want["lesion_class"].code, want["lesion_class"].name, str(want["lesion_class"].high_risk).lower())
        assert [int(i) for i in row["image_ids"].split(";") if i] == want["images"]
        assert [u.rsplit("/api/v1/images/", 1)[1] for u in row["image_urls"].split(";") if u] == [
            f"{pk}/file/" for pk in want["images"]]
        if want["ai_fields"]:
            assert {name: row[f"ai_{name}"] for name in FINDING_FIELDS} == want["ai_fields"]
    dual = findings["final"][1]
    raw = next(r for r in csv.DictReader(io.StringIO(text)) if int(r["case_id"]) == dual.pk)
    # Spreadsheet formulas arrive as text, never as a formula a spreadsheet would run.
    assert raw["lesion_label"].startswith("'=") and raw["summary"].startswith("'-")


def _resources(bundle_json: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle_json.get("entry", [])]


def test_fhir_export_is_a_valid_r4_collection_bundle(api, carol, findings) -> None:  # noqa: ANN001
    raw = json.loads(_body(api(carol).get(EXPORT, {"format": "fhir"})))
    bundle = Bundle.model_validate(raw)
    assert bundle.type == "collection"
    for resource in _resources(raw):  # each resource against its own R4B model, not only the envelope
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    urls = [entry["fullUrl"] for entry in raw["entry"]]
    assert len(urls) == len(set(urls))
    by_url = {entry["fullUrl"]: entry["resource"] for entry in raw["entry"]}
    resources = _resources(raw)
    kinds = [r["resourceType"] for r in resources]
    # These cases are linked to no Patient row: the subject stays a pseudonymous identifier (the Patient resource of
    # a linked case, pseudonym only, is tested in test_fhir_lesion*.py).
    assert "Patient" not in kinds

    reports = [r for r in resources if r["resourceType"] == "DiagnosticReport"]
    assert len(reports) == len(findings["final"])
    # The amended case's report replaces version 1 (`amended`); the others are `final`.
    amended_case = findings["final"][2]
    assert {r["identifier"][0]["value"]: r["status"] for r in reports} == {
        f"case-{findings['final'][0].pk}-v1": "final", f"case-{findings['final'][1].pk}-v1": "final",
        f"case-{amended_case.pk}-v2": "amended"}
    dual = findings["final"][1]
    report = next(r for r in reports if r["identifier"][0]["value"] == f"case-{dual.pk}-v1")
    assert report["subject"] == {"type": "Patient", "identifier": {
        "system": "urn:dermreview:riverside:patient-ref", "value": dual.patient_ref}}
    observations = [by_url[ref["reference"]] for ref in report["result"]]
    assert [o["code"]["coding"][0]["code"] for o in observations] == list(FINDING_FIELDS)
    assert {o["status"] for o in observations} == {"final"}
    # The signed lesion type: its diagnosis class coded, the reviewer's words as the text.
    assert observations[0]["valueCodeableConcept"] == {"coding": [{
        "system": "urn:dermreview:diagnosis-class", "code": "mel-is", "display": "Melanoma in situ"}],
        "text": "melanoma in situ"}
    assert observations[1]["valueString"] == SAMPLE_FINDING["color"]
    media = by_url[report["media"][0]["link"]["reference"]]
    image = dual.images.get()
    assert media["resourceType"] == "Media" and media["content"]["contentType"] == "image/jpeg"
    assert media["content"]["url"].endswith(f"/api/v1/images/{image.pk}/file/")
    assert media["bodySite"]["coding"][0]["code"] == dual.body_site

    provenance = next(r for r in resources if r["resourceType"] == "Provenance"
                      and r["target"][0]["reference"] == next(u for u, res in by_url.items() if res is report))
    agents = [by_url[a["who"]["reference"]] for a in provenance["agent"]]
    device = agents[0]
    assert device["resourceType"] == "Device"
    assert device["deviceName"][0]["name"] == "0xAgamy/unsloth_Qwen3vl_finetune"
    assert [v["value"] for v in device["version"]] == ["main", "test-1"]
    reviewers = [a for a in agents[1:]]
    assert [r["identifier"][0]["value"] for r in reviewers] == ["bob", "dave"]
    assert {a["type"]["coding"][0]["code"] for a in provenance["agent"][1:]} == {"verifier"}
    assert kinds.count("Device") == 1 and kinds.count("Practitioner") == 2  # written once, referenced often


def test_drafts_are_exported_only_to_auditors_and_never_as_final(api, alice, bob, carol, findings) -> None:  # noqa: ANN001
    assert_error(api(alice).get(EXPORT, {"include_drafts": "true"}), 403, "permission_denied")
    assert_error(api(bob).get(EXPORT, {"include_drafts": "true"}), 403, "permission_denied")

    records = json.loads(_body(api(carol).get(EXPORT, {"format": "json", "include_drafts": "true"})))["findings"]
    drafts = [r for r in records if r["kind"] == "ai_draft"]
    assert len(drafts) == 3  # every ready draft of the clinic, signed-off or not
    for record in drafts:
        assert record["reviewed"] is False and record["fields"] is None and record["reviewers"] == []
        assert record["ai_draft"]["kind"] == "ai_draft" and "Unreviewed AI draft" in record["label"]
    assert all(r["reviewed"] for r in records if r["kind"] == "signed_finding")

    text = _body(api(carol).get(EXPORT, {"format": "csv", "include_drafts": "true"})).decode()
    for row in csv.DictReader(io.StringIO(text)):
        if row["kind"] == "ai_draft":
            assert row["reviewed"] == "false" and all(row[name] == "" for name in FINDING_FIELDS)
            assert row["ai_summary"]

    raw = json.loads(_body(api(carol).get(EXPORT, {"format": "fhir", "include_drafts": "true"})))
    Bundle.model_validate(raw)
    for resource in _resources(raw):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    tagged = [r for r in _resources(raw) if any(t["code"] == "unreviewed-ai-draft" for t in r.get("meta", {})
                                                .get("tag", []))]
    draft_reports = [r for r in tagged if r["resourceType"] == "DiagnosticReport"]
    assert len(draft_reports) == 3 and {r["status"] for r in draft_reports} == {"preliminary"}
    assert {r["status"] for r in tagged if r["resourceType"] == "Observation"} == {"preliminary"}
    final_reports = [r for r in _resources(raw) if r["resourceType"] == "DiagnosticReport" and r["status"] == "final"]
    assert not any(t["code"] == "unreviewed-ai-draft" for r in final_reports for t in r["meta"]["tag"])
    media_urls = [e["fullUrl"] for e in raw["entry"] if e["resource"]["resourceType"] == "Media"]
    assert len(media_urls) == len(set(media_urls)) == LesionImage.objects.filter(
        case__organisation=carol.organisation).count()


def test_since_exports_only_findings_signed_from_then(api, alice, findings) -> None:  # noqa: ANN001
    cut = timezone.now() - timedelta(minutes=1)
    Review.objects.filter(case__in=findings["final"][:2]).update(signed_at=cut - timedelta(days=2))
    records = json.loads(_body(api(alice).get(EXPORT, {"since": cut.isoformat()})))["findings"]
    assert [r["case"]["id"] for r in records] == [findings["final"][2].pk]


@pytest.mark.parametrize(("params", "field"), [
    ({"format": "xml"}, "format"), ({"since": "last week"}, "since"), ({"status": "draft"}, "status"),
    ({"include_drafts": "perhaps"}, "include_drafts"),
])
def test_export_rejects_bad_parameters(api, carol, params, field) -> None:  # noqa: ANN001
    body = assert_error(api(carol).get(EXPORT, params), 400, "invalid")
    assert list(body["fields"]) == [field]
    assert not AuditEvent.objects.filter(action="findings.export").exists()


def test_each_export_is_an_audit_event(api, carol, findings) -> None:  # noqa: ANN001
    response = api(carol).get(EXPORT, {"format": "csv", "include_drafts": "true"})
    _body(response)
    event = AuditEvent.objects.get(action="findings.export")
    assert event.actor == carol and event.organisation == carol.organisation
    assert event.details["format"] == "csv" and event.details["include_drafts"] is True
    assert event.details["export_id"] == response["X-Export-Id"]
    assert response["Content-Disposition"].startswith('attachment; filename="dermreview-findings-')


def test_export_is_throttled(api, carol, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "api_export", "2/hour")
    client = api(carol)
    _body(client.get(EXPORT))
    _body(client.get(EXPORT))
    throttled = client.get(EXPORT)
    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 60


def _seed_findings(*, organisation, clinician, reviewer, count: int, start: int) -> None:  # noqa: ANN001
    """`count` final cases, each with a signed finding carrying its AI draft snapshot, written with bulk_create.

    No photos: the per-chunk photo query runs all the same, and seeding stays quick.
    """
    now = timezone.now()
    cases = Case.objects.bulk_create([
        Case(organisation=organisation, patient_ref=f"PT-{start + i:06d}", body_site="back",
             lesion_label=f"L{start + i}", status=CaseStatus.FINAL, created_by=clinician)
        for i in range(count)
    ])
    snapshot = {"draft_id": None, "image_id": None, "fields": SAMPLE_FINDING, "model_id": "m", "model_revision": "r",
                "prompt_version": "p"}
    Review.objects.bulk_create([
        Review(case=case, reviewer=reviewer, outcome=ReviewOutcome.EDITED, draft_snapshot=snapshot,
               edited_fields=["summary"], attestation="I attest.", opened_at=now, signed_at=now,
               time_on_task_ms=30_000, **{**SAMPLE_FINDING, "summary": f"Finding {case.pk}: benign nevus."})
        for case in cases
    ])


def _peak_bytes_while_streaming(client, params: dict[str, str]) -> tuple[int, int]:  # noqa: ANN001
    """Peak Python allocation while the response streams (the view runs before: only the rows are measured)."""
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


@pytest.mark.slow
def test_export_memory_stays_flat_from_2000_to_20000_findings(api, alice, bob) -> None:  # noqa: ANN001
    client = api(alice)
    _seed_findings(organisation=alice.organisation, clinician=alice, reviewer=bob, count=2_000, start=0)
    small_peak, small_size = _peak_bytes_while_streaming(client, {"format": "csv"})
    _seed_findings(organisation=alice.organisation, clinician=alice, reviewer=bob, count=18_000, start=2_000)
    large_peak, large_size = _peak_bytes_while_streaming(client, {"format": "csv"})

    assert large_size > 9 * small_size  # ten times the findings really streamed out (about 9 MB)
    # The peak is set by the chunk size, not the row count: ten times the rows may not cost 1.5 times the memory.
    assert large_peak < 1.5 * small_peak + 512 * 1024, (small_peak, large_peak)
    assert large_peak < 32 * 1024 * 1024, large_peak


@pytest.mark.parametrize("export_format", ["json", "fhir"])
def test_json_and_fhir_writers_stream_in_chunks_too(api, alice, bob, monkeypatch, export_format) -> None:  # noqa: ANN001
    # Smaller chunks and blocks, so that a few thousand findings already span many of them.
    monkeypatch.setattr(export_records, "CHUNK", 25)
    monkeypatch.setattr(export_records, "FLUSH_CHARS", 8 * 1024)
    client = api(alice)
    _seed_findings(organisation=alice.organisation, clinician=alice, reviewer=bob, count=100, start=0)
    small_peak, small_size = _peak_bytes_while_streaming(client, {"format": export_format})
    _seed_findings(organisation=alice.organisation, clinician=alice, reviewer=bob, count=900, start=100)
    large_peak, large_size = _peak_bytes_while_streaming(client, {"format": export_format})
    assert large_size > 9 * small_size
    assert large_peak < 1.5 * small_peak + 128 * 1024, (small_peak, large_peak)


def test_fhir_references_are_rfc4122_uuid5_urns(alice) -> None:  # noqa: ANN001
    import uuid

    from dermreview.api.exports.fhir_writer import FhirBundleWriter
    from dermreview.api.exports.records import ExportScope, UrlBuilder

    writer = FhirBundleWriter(scope=ExportScope(organisation_id=alice.organisation_id), urls=UrlBuilder(base=""),
                              system="urn:dermreview:riverside", meta={})
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dermreview:riverside")
    assert writer.urn("image", 12) == f"urn:uuid:{uuid.uuid5(namespace, 'image:12')}"
    assert writer.urn("image", 12) != writer.urn("image", 13)


def _exported_draft_ids(client) -> set[int]:  # noqa: ANN001
    records = json.loads(_body(client.get(EXPORT, {"format": "json", "include_drafts": "true"})))["findings"]
    return {r["ai_draft"]["draft_id"] for r in records if r["kind"] == "ai_draft"}


def test_draft_export_is_a_draft_view_and_leaves_out_blind_drafts_the_exporter_may_not_see(
    api, alice, carol, user_factory, findings,  # noqa: ANN001
) -> None:
    blind = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.AWAITING_REVIEW,
                        blind_first=True)
    blind_draft = DraftFactory(image=LesionImageFactory(case=blind, uploaded_by=alice), lesion_type="melanoma",
                               summary="BLIND-DRAFT-TEXT")
    # Audits and reviews: a reviewer who has not recorded their own finding for the blind case.
    both = user_factory(username="erin", organisation=alice.organisation, roles=["auditor", "reviewer"])
    every_draft = set(Draft.objects.filter(image__case__organisation=alice.organisation).values_list("pk", flat=True))

    exported = _exported_draft_ids(api(both))
    assert exported == every_draft - {blind_draft.pk}
    event = AuditEvent.objects.get(action="draft.view", actor=both)
    export = AuditEvent.objects.get(action="findings.export", actor=both)
    assert event.details["export_id"] == export.details["export_id"] and event.details["via"] == "export"
    assert set(event.details["draft_ids"]) == exported and event.details["left_out_blind_first"] == 1

    assert _exported_draft_ids(api(carol)) == every_draft  # an auditor who never reviews cannot be biased
    assert set(AuditEvent.objects.get(action="draft.view", actor=carol).details["draft_ids"]) == every_draft

    BlindFindingFactory(case=blind, reviewer=both)
    assert _exported_draft_ids(api(both)) == every_draft  # their own finding is recorded: the draft is theirs


def test_export_without_drafts_records_no_draft_view(api, carol, findings) -> None:  # noqa: ANN001
    _body(api(carol).get(EXPORT, {"format": "csv"}))
    assert AuditEvent.objects.filter(action="findings.export").count() == 1
    assert not AuditEvent.objects.filter(action="draft.view").exists()


def test_exports_leave_the_class_empty_for_findings_signed_before_the_vocabulary(api, alice, bob) -> None:  # noqa: ANN001
    old = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    ReviewFactory(case=old, reviewer=bob, lesion_type="some old free text", lesion_class=None)
    record = json.loads(_body(api(alice).get(EXPORT, {"format": "json"})))["findings"][0]
    assert record["lesion_class"] is None and record["fields"]["lesion_type"] == "some old free text"
    row = next(csv.DictReader(io.StringIO(_body(api(alice).get(EXPORT, {"format": "csv"})).decode())))
    assert (row["lesion_class_code"], row["lesion_class_name"], row["lesion_class_high_risk"]) == ("", "", "")
    bundle = json.loads(_body(api(alice).get(EXPORT, {"format": "fhir"})))
    lesion_type = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id", "").endswith("lesion-type"))
    assert lesion_type["valueString"] == "some old free text" and "valueCodeableConcept" not in lesion_type


def _json_records(client) -> dict[int, dict[str, Any]]:  # noqa: ANN001
    return {r["case"]["id"]: r for r in json.loads(_body(client.get(EXPORT, {"format": "json"})))["findings"]}


def test_exports_give_the_case_details_as_signed_not_as_changed_since(api, alice, bob, carol) -> None:  # noqa: ANN001
    case = ready_case(alice, body_site="back", lesion_label="left shoulder")
    review = sign(case, bob)
    assert review.signed_context["body_site"] == "back" and review.signed_context["case_version"] == 0
    assert [i["id"] for i in review.signed_context["images"]] == list(case.images.values_list("pk", flat=True))
    assert review.signed_context["images"][0]["sha256"] == case.images.get().sha256
    # The page and API refuse the change (other tests); here the row changes behind their back.
    Case.objects.filter(pk=case.pk).update(body_site="face", lesion_label="cheek")
    record = _json_records(api(carol))[case.pk]
    assert (record["case"]["body_site"], record["case"]["lesion_label"]) == ("back", "left shoulder")
    rows = list(csv.DictReader(io.StringIO(_body(api(carol).get(EXPORT, {"format": "csv"})).decode())))
    row = next(r for r in rows if r["case_id"] == str(case.pk))
    assert (row["body_site"], row["lesion_label"], row["finding_status"]) == ("back", "left shoulder", "final")


def test_a_pending_amendment_keeps_the_signed_finding_current_in_the_export(api, alice, bob, dave, carol) -> None:  # noqa: ANN001
    case = ready_case(alice)
    original = sign(case, bob)
    claim(case, bob)
    review_amend(review=original, reviewer=bob, fields=MELANOMA, reason="Regression structures",
                 expected_lock_version=case.lock_version, attestation=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW
    record = _json_records(api(carol))[case.pk]
    assert record["review_id"] == original.pk and record["fields"] == original.finding_fields()
    assert (record["finding_status"], record["amendment_in_progress"]) == ("amendment_in_progress", True)
    assert [r["username"] for r in record["reviewers"]] == [bob.username]
    fhir = json.loads(_body(api(carol).get(EXPORT, {"format": "fhir"})))
    reports = [r for r in _resources(fhir) if r["resourceType"] == "DiagnosticReport"]
    assert [(r["id"], r["status"]) for r in reports] == [(f"case-{case.pk}-v1", "final")]
    assert "amendment-in-progress" in [t["code"] for t in reports[0]["meta"]["tag"]]

    second = sign(case, dave, fields=MELANOMA, confirmed=FINDING_FIELDS)
    record = _json_records(api(carol))[case.pk]
    assert record["review_id"] == second.pk and record["version"] == 2 and record["finding_status"] == "final"
    fhir = json.loads(_body(api(carol).get(EXPORT, {"format": "fhir"})))
    reports = [r for r in _resources(fhir) if r["resourceType"] == "DiagnosticReport"]
    assert [(r["id"], r["status"]) for r in reports] == [(f"case-{case.pk}-v2", "amended")]
    Bundle.model_validate(fhir)


def test_until_leaves_out_findings_signed_at_or_after_it_and_is_audited(api, alice, findings) -> None:  # noqa: ANN001
    cut = timezone.now() - timedelta(hours=1)
    Review.objects.filter(case__in=findings["final"][:2]).update(signed_at=cut - timedelta(days=2))
    records = json.loads(_body(api(alice).get(EXPORT, {
        "since": (cut - timedelta(days=3)).isoformat(), "until": cut.isoformat()})))
    assert sorted(r["case"]["id"] for r in records["findings"]) == sorted(c.pk for c in findings["final"][:2])
    assert records["export"]["until"] == cut.isoformat()
    event = AuditEvent.objects.get(action="findings.export")
    assert event.details["until"] == cut.isoformat()


def test_until_before_since_is_refused_with_a_clear_message(api, carol) -> None:  # noqa: ANN001
    now = timezone.now()
    body = assert_error(api(carol).get(EXPORT, {"since": now.isoformat(),
                                               "until": (now - timedelta(days=1)).isoformat()}), 400, "invalid")
    assert list(body["fields"]) == ["until"] and "later than `since`" in str(body["fields"]["until"])
    assert not AuditEvent.objects.filter(action="findings.export").exists()


def test_exports_say_how_a_dual_review_was_resolved(api, carol, findings) -> None:  # noqa: ANN001
    dual, single = findings["final"][1], findings["final"][0]
    Review.objects.filter(case=dual, round=2).update(resolution="concordant")
    records = {r["case"]["id"]: r for r in json.loads(_body(api(carol).get(EXPORT, {"format": "json"})))["findings"]}
    assert (records[dual.pk]["resolution"], records[single.pk]["resolution"]) == ("concordant", "")
    rows = {int(r["case_id"]): r for r in csv.DictReader(io.StringIO(
        _body(api(carol).get(EXPORT, {"format": "csv"})).decode()))}
    assert (rows[dual.pk]["resolution"], rows[single.pk]["resolution"]) == ("concordant", "")
    raw = json.loads(_body(api(carol).get(EXPORT, {"format": "fhir"})))
    reports = {r["identifier"][0]["value"]: r for r in _resources(raw) if r["resourceType"] == "DiagnosticReport"}
    resolved = reports[f"case-{dual.pk}-v1"]
    get_fhir_model_class("DiagnosticReport").model_validate(resolved)
    assert resolved["extension"] == [{"url": "urn:dermreview:extension:resolution", "valueCoding": {
        "system": "urn:dermreview:resolution", "code": "concordant",
        "display": "Concordant: both reviewers agreed"}}]
    assert "extension" not in reports[f"case-{single.pk}-v1"]


def test_an_adjudicated_finding_is_exported_once_with_its_resolution(api, alice, bob, dave, carol) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    ReviewFactory(case=case, reviewer=bob, round=1)
    ReviewFactory(case=case, reviewer=dave, round=2, disagreement_fields=["lesion_type"])
    third = ReviewFactory(case=case, reviewer=carol, round=3, resolution="adjudicated_by_third_reviewer")
    records = json.loads(_body(api(alice).get(EXPORT, {"format": "json"})))["findings"]
    assert [(r["review_id"], r["resolution"]) for r in records] == [(third.pk, "adjudicated_by_third_reviewer")]
    rows = list(csv.DictReader(io.StringIO(_body(api(alice).get(EXPORT, {"format": "csv"})).decode())))
    assert [(r["review_id"], r["resolution"]) for r in rows] == [(str(third.pk), "adjudicated_by_third_reviewer")]
