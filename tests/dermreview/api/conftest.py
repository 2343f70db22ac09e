"""Fixtures of the API tests: token clients per persona, and a clean throttle cache for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import api_key_for


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Throttle counters and the token-use audit marks live in the cache: no test may inherit another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> Callable[[Any], APIClient]:
    """`api(user)` is an APIClient sending that user's token; `api(None)` an anonymous one."""

    def client_for(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
        return client

    return client_for


def assert_error(response: Any, status: int, error: str | None = None) -> dict[str, Any]:
    """The response is the API's JSON error shape with this status (and error code)."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"error", "detail", "fields"}, body
    assert isinstance(body["fields"], dict)
    if error is not None:
        assert body["error"] == error, body
    return body


@pytest.fixture
def reviewable_case(alice, image_factory, draft_factory):  # noqa: ANN001, ANN201
    """Alice's case awaiting review: one photo with a ready AI draft (not blind-first)."""
    from dermreview.cases.models import CaseStatus
    from tests.factories import CaseFactory

    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.AWAITING_REVIEW,
                       blind_first=False)
    image = image_factory(case=case, uploaded_by=alice)
    draft_factory(image=image)
    return case


@pytest.fixture
def final_case(alice, bob, image_factory, draft_factory, review_factory):  # noqa: ANN001, ANN201
    """Alice's case with a final finding signed by bob from the AI draft (lesion type edited)."""
    from dermreview.cases.models import CaseStatus
    from dermreview.review.models import ReviewOutcome
    from tests.factories import CaseFactory

    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    image = image_factory(case=case, uploaded_by=alice)
    draft = draft_factory(image=image)
    snapshot = {"draft_id": draft.pk, "image_id": image.pk, "fields": draft.finding_fields(),
                "model_id": draft.model_id, "model_revision": draft.model_revision,
                "prompt_version": draft.prompt_version}
    review_factory(case=case, reviewer=bob, draft=draft, draft_snapshot=snapshot, outcome=ReviewOutcome.EDITED,
                   lesion_type="seborrhoeic keratosis", edited_fields=["lesion_type"])
    return case
