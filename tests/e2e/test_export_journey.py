"""An auditor downloads the findings export from the oversight pages for a date range: the file holds the signed
finding with its provenance, human-confirmed text apart from what the AI drafted, and unreviewed drafts marked so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import NEVUS, ready_case
from tests.e2e.journeys import People, adjudicated_case, download_csv_export, final_case, watch_for_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITED_COLOUR = "two shades of brown, darker centre"


def test_auditor_downloads_the_export_for_a_date_range_with_ai_and_human_provenance(
    page, login, people: People,  # noqa: ANN001
) -> None:
    old, _ = final_case(people, patient_ref="E2E-OLD")
    Review.objects.filter(case=old).update(signed_at=timezone.now() - timedelta(days=10))  # outside the range
    signed, review = final_case(people, patient_ref="E2E-SIGNED", fields={**NEVUS, "color": EDITED_COLOUR})
    waiting = ready_case(people.alice, patient_ref="E2E-WAITING")  # an AI draft nobody has reviewed
    problems = watch_for_problems(page)

    login(people.carol)
    page.goto("/oversight/")
    page.get_by_role("link", name="Export findings").click()
    page.wait_for_url("**/oversight/export/")
    today = timezone.localdate()
    export = download_csv_export(page, since=today - timedelta(days=2), until=today, include_drafts=True)

    assert export.filename.startswith("dermreview-findings-") and export.filename.endswith(".csv")
    findings = [row for row in export.rows if row["kind"] == "signed_finding"]
    assert [row["patient_ref"] for row in findings] == ["E2E-SIGNED"]  # the old finding is outside the range
    finding = findings[0]
    # Human-confirmed text in the bare columns, the AI draft in the ai_* columns, and who changed what.
    assert (finding["reviewed"], finding["review_id"], finding["case_id"]) == ("true", str(review.pk), str(signed.pk))
    assert finding["color"] == EDITED_COLOUR and finding["ai_color"] == NEVUS["color"]
    assert {name: finding[name] for name in FINDING_FIELDS if name != "color"} == {
        name: value for name, value in NEVUS.items() if name != "color"}
    assert (finding["outcome"], finding["edited_fields"], finding["all_unchanged"]) == ("edited", "color", "false")
    assert finding["ai_model_id"] == review.draft_snapshot["model_id"] and finding["ai_prompt_version"]
    assert (finding["reviewers"], finding["reviewer_rounds"], finding["finding_status"]) == ("bob", "1", "final")

    # Every ready AI draft of the range, the unreviewed case's included, is marked unreviewed and holds no text
    # where a finding would be read.
    drafts = {row["case_id"]: row for row in export.rows if row["kind"] == "ai_draft"}
    assert str(waiting.pk) in drafts and drafts[str(waiting.pk)]["ai_lesion_type"] == NEVUS["lesion_type"]
    assert {row["reviewed"] for row in drafts.values()} == {"false"}
    assert all(row[name] == "" for row in drafts.values() for name in FINDING_FIELDS)

    event = AuditEvent.objects.get(action="findings.export", actor=people.carol)
    assert event.details["format"] == "csv" and event.details["include_drafts"] is True
    assert event.details["since"].startswith((today - timedelta(days=2)).isoformat())
    assert problems == []


def test_the_export_of_an_adjudicated_finding_names_all_three_signers(page, login, people: People) -> None:  # noqa: ANN001
    case, _ = adjudicated_case(people, patient_ref="E2E-ADJ-EXPORT")
    login(people.carol)
    export = download_csv_export(page)
    finding = next(row for row in export.rows if row["kind"] == "signed_finding" and row["case_id"] == str(case.pk))
    assert finding["resolution"] == "adjudicated_by_third_reviewer"
    assert (finding["reviewers"], finding["reviewer_rounds"]) == ("bob;dave;erin", "1;2;3")
