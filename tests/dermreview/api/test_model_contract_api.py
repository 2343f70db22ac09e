"""The API and the exports say which weights wrote an AI draft (`resolved_revision`) and, in the API, which class
of the clinic's vocabulary its lesion type (an AI suggestion, not a diagnosis) maps to."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from dermreview.api.exports.csv_writer import COLUMNS, csv_cell_value
from tests.dermreview.review.review_helpers import CARD_MELANOMA, RESOLVED, engine_drafted_case, sign

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/findings/export/"


def _body(response: Any) -> str:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def signed(alice: Any, bob: Any, dave: Any) -> Any:
    """A final dual review of a card-worded melanoma draft stored from the engine's result."""
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)
    sign(case, bob)
    sign(case, dave)
    return case


def test_api_draft_gives_the_lesion_class_and_the_resolved_revision(api: Any, alice: Any, bob: Any) -> None:
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)
    url = f"/api/v1/images/{case.images.get().pk}/draft/"

    data = api(bob).get(url).json()

    assert data["fields"]["lesion_type"] == "Superficial spreading melanoma"
    assert data["lesion_class"] == {"code": "mel-ss", "name": "Superficial spreading melanoma", "high_risk": True,
                                    "matched": True, "label": "Superficial spreading melanoma (high-risk)"}
    assert data["resolved_revision"] == RESOLVED
    withheld = api(alice).get(url).json()  # a clinician: neither the text nor what it maps to
    assert withheld["fields"] is None and withheld["lesion_class"] is None


def test_json_export_gives_the_resolved_revision_of_the_finding_and_of_the_draft(
    api: Any, carol: Any, signed: Any,
) -> None:
    records = json.loads(_body(api(carol).get(EXPORT, {"format": "json", "include_drafts": "true"})))["findings"]

    by_kind = {record["kind"]: record for record in records}
    assert by_kind["signed_finding"]["ai_draft"]["resolved_revision"] == RESOLVED
    assert by_kind["ai_draft"]["ai_draft"]["resolved_revision"] == RESOLVED


def test_csv_export_appends_the_resolved_revision_column(api: Any, carol: Any, signed: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(_body(api(carol).get(EXPORT, {"format": "csv",
                                                                         "include_drafts": "true"})))))

    # Appended after every earlier column, so a reader that goes by position still finds the others.
    # (The management plan's four columns came later still: tests/dermreview/review/test_plan.py.)
    assert COLUMNS[-6:-4] == ("resolution", "ai_model_resolved_revision")
    assert {row["kind"]: csv_cell_value(row["ai_model_resolved_revision"]) for row in rows} == {
        "signed_finding": RESOLVED, "ai_draft": RESOLVED}


def test_fhir_export_names_the_resolved_weights_on_the_device_and_labels_the_ai_lesion_type(
    api: Any, carol: Any, signed: Any,
) -> None:
    bundle = json.loads(_body(api(carol).get(EXPORT, {"format": "fhir", "include_drafts": "true"})))
    resources = [entry["resource"] for entry in bundle["entry"]]
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)

    [device] = [r for r in resources if r["resourceType"] == "Device"]
    assert {"type": {"text": "resolved weights revision"}, "value": RESOLVED} in device["version"]
    labels = {(o["meta"]["tag"][0]["code"], o["code"]["text"]) for o in resources
              if o["resourceType"] == "Observation" and o["code"]["coding"][0]["code"] == "lesion_type"}
    assert labels == {("reviewer-confirmed", "Lesion type"),
                      ("unreviewed-ai-draft", "Lesion type (AI suggestion, not a diagnosis)")}
