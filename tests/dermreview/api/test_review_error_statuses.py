"""One review error, one status: the API and the browser's review page answer a domain error alike.

The statuses come from the errors themselves (`ReviewError.http_status`, dermreview/review/errors.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.errors import (
    ReviewConflict,
    ReviewError,
    ReviewInvalid,
    ReviewNotAllowed,
    ReviewRoleDenied,
)
from dermreview.review.forms import opened_token
from dermreview.review.models import Review
from tests import factories
from tests.dermreview.review.review_helpers import MELANOMA, first_draft, ready_case, sign

pytestmark = pytest.mark.django_db


def _browser_sign(client: Client, case: Case) -> int:
    draft = first_draft(case)
    form = {
        **draft.finding_fields(), "draft_id": draft.pk, "lock_version": case.lock_version,
        "opened": opened_token(case_id=case.pk, opened_at=timezone.now() - timedelta(seconds=30)),
        "action": "sign", "attestation": "on", **{f"confirm_{name}": "on" for name in FINDING_FIELDS},
    }
    return client.post(reverse("review:case", args=[case.pk]), form).status_code


def _api_sign(client: APIClient, case: Case) -> Any:
    draft = first_draft(case)
    body = {
        "fields": draft.finding_fields(), "confirmed_fields": list(FINDING_FIELDS), "draft_id": draft.pk,
        "opened_at": (timezone.now() - timedelta(seconds=45)).isoformat(),
        "expected_lock_version": case.lock_version, "attestation": True, **factories.SIGN_PLAN,
    }
    return client.post(f"/api/v1/cases/{case.pk}/sign/", body, format="json")


def test_signing_twice_as_the_same_reviewer_is_409_in_the_api_and_the_browser(api, client, alice, bob) -> None:  # noqa: ANN001
    case = ready_case(alice, draft=MELANOMA)  # high-risk: a second, different reviewer must sign
    sign(case, bob)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW

    api_response = _api_sign(api(bob), case)
    client.force_login(bob)
    browser_status = _browser_sign(client, case)

    assert (api_response.status_code, browser_status) == (409, 409)
    assert api_response.json()["error"] == "same_reviewer"
    assert Review.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("error", [
    ReviewConflict("Someone else saved this case first.", current_lock_version=3),
    ReviewNotAllowed("You signed the first review.", code="same_reviewer"),
    ReviewNotAllowed("Nothing to sign now.", code="state"),
    ReviewNotAllowed("Record your own finding first.", code="blind_entry_required"),
    ReviewRoleDenied("Only reviewers can sign findings."),
    ReviewInvalid({"attestation": "Tick the attestation to sign."}),
], ids=lambda error: f"{type(error).__name__}-{getattr(error, 'code', '')}")
def test_each_review_error_has_one_status_in_the_api_and_the_browser(
    error: ReviewError, monkeypatch: pytest.MonkeyPatch, api, client, alice, bob,  # noqa: ANN001
) -> None:
    def refuse(**kwargs: Any) -> Review:
        raise error

    # Both front ends call the same service; make it refuse, and compare what each answers.
    monkeypatch.setattr("dermreview.review.views.pages.review_sign", refuse)
    monkeypatch.setattr("dermreview.api.views.cases.review_sign", refuse)
    case = ready_case(alice)

    api_status = _api_sign(api(bob), case).status_code
    client.force_login(bob)
    browser_status = _browser_sign(client, case)

    assert api_status == browser_status == error.http_status
