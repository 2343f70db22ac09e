"""Exports name every signer of a finding's version, in round order: a disagreement settled by a third reviewer is
signed by three (first review, second review, the third reviewer's decision), and JSON, CSV and FHIR say so."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from dermreview.review.models import Review
from dermreview.review.services.adjudication_agreement import (
    review_adjudication_confirm,
    review_adjudication_propose,
)
from tests.dermreview.review.review_helpers import MELANOMA, adjudicate, disagreeing_case, ready_case, sign

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/findings/export/"


def _export(client: Any, export_format: str) -> str:
    response = client.get(EXPORT, {"format": export_format})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def _signers(case: Any) -> list[tuple[int, int, str, int]]:
    """(review id, round, username, user id) of every sign-off of the case, from the database."""
    return [(r.pk, r.round, r.reviewer.username, r.reviewer_id)
            for r in Review.objects.filter(case=case).select_related("reviewer").order_by("round")]


def _exported_signers(api: Any, exporter: Any, case: Any) -> dict[str, Any]:
    """What each format says about who signed `case`'s finding."""
    client = api(exporter)
    record = next(r for r in json.loads(_export(client, "json"))["findings"] if r["case"]["id"] == case.pk)
    row = next(r for r in csv.DictReader(io.StringIO(_export(client, "csv"))) if r["case_id"] == str(case.pk))
    bundle = json.loads(_export(client, "fhir"))
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    report = next(r for r in resources if r["resourceType"] == "DiagnosticReport"
                  and r["identifier"][0]["value"] == f"case-{case.pk}-v1")
    provenance = next(r for r in resources if r["resourceType"] == "Provenance" and r["id"] == f"{report['id']}-provenance")
    return {
        "json": [(r["review_id"], r["round"], r["username"], r["id"]) for r in record["reviewers"]],
        "json_signed_at": [r["signed_at"] for r in record["reviewers"]],
        "csv": (row["reviewers"], row["reviewer_ids"], row["reviewer_rounds"], row["reviewer_signed_at"]),
        "fhir_performers": [p["display"] for p in report["performer"]],
        "fhir_verifiers": [a["type"]["text"].split(",")[1].strip() for a in provenance["agent"]
                           if a["type"]["coding"][0]["code"] == "verifier"],
    }


def test_a_third_reviewers_decision_is_exported_with_all_three_signers(api, alice, bob, dave, erin, carol) -> None:  # noqa: ANN001
    case = disagreeing_case(alice, bob, dave)
    adjudicate(case, erin)
    signers = _signers(case)
    assert [(round_no, name) for _, round_no, name, _ in signers] == [(1, "bob"), (2, "dave"), (3, "erin")]
    exported = _exported_signers(api, carol, case)
    assert exported["json"] == signers
    times = [r.signed_at.isoformat() for r in Review.objects.filter(case=case).order_by("round")]
    assert exported["json_signed_at"] == times
    assert exported["csv"] == ("bob;dave;erin", ";".join(str(s[3]) for s in signers), "1;2;3", ";".join(times))
    assert exported["fhir_performers"] == ["bob", "dave", "erin"]
    assert exported["fhir_verifiers"] == ["round 1", "round 2", "round 3"]


def test_an_agreed_resolution_is_exported_with_both_reviewers_and_the_confirming_sign_off(
    api, alice, bob, dave, carol,  # noqa: ANN001
) -> None:
    case = disagreeing_case(alice, bob, dave)
    review_adjudication_propose(case=case, reviewer=dave, round=1, expected_lock_version=case.lock_version)
    case.refresh_from_db()
    review_adjudication_confirm(case=case, reviewer=bob, round=1, opened_at=timezone.now() - timedelta(seconds=20),
                                expected_lock_version=case.lock_version, attestation=True)
    exported = _exported_signers(api, carol, case)
    assert [(round_no, name) for _, round_no, name, _ in exported["json"]] == [(1, "bob"), (2, "dave"), (3, "bob")]
    assert (exported["csv"][0], exported["csv"][2]) == ("bob;dave;bob", "1;2;3")


def test_single_and_dual_reviews_keep_their_one_and_two_signers(api, alice, bob, dave, carol) -> None:  # noqa: ANN001
    single = ready_case(alice)
    sign(single, bob)
    dual = ready_case(alice, draft=MELANOMA)  # high-risk: two concordant sign-offs
    sign(dual, bob)
    sign(dual, dave)
    assert [s[1:3] for s in _exported_signers(api, carol, single)["json"]] == [(1, "bob")]
    exported = _exported_signers(api, carol, dual)
    assert [s[1:3] for s in exported["json"]] == [(1, "bob"), (2, "dave")]
    assert (exported["csv"][0], exported["csv"][2]) == ("bob;dave", "1;2")
