"""What a reviewer is told after an action matches the state the case is left in (pages and API alike)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, Draft
from dermreview.review.forms import opened_token
from dermreview.review.services.signoff import state_message
from tests import factories
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, first_draft, ready_case, sign
from tests.factories import api_key_for

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:  # noqa: ANN001
    return [str(m) for m in get_messages(response.wsgi_request)]


def _sign_on_page(client, case: Case, draft: Draft | None, fields: dict[str, str]) -> list[str]:  # noqa: ANN001
    """Start review and sign through the review page, as a reviewer's browser does; the flash messages."""
    assert client.post(reverse("review:claim", args=[case.pk])).status_code == 302
    Case.objects.filter(pk=case.pk).update(claimed_at=timezone.now() - timedelta(seconds=30))
    case.refresh_from_db()
    response = client.post(reverse("review:case", args=[case.pk]), {
        **fields, "draft_id": draft.pk if draft else "", "lock_version": case.lock_version,
        "opened": opened_token(case_id=case.pk), "action": "sign", "attestation": "on",
        **{f"confirm_{name}": "on" for name in FINDING_FIELDS}, **factories.SIGN_PLAN,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    return _messages(response)


def test_round_one_final_says_final(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    said = _sign_on_page(client, case, first_draft(case), NEVUS)
    assert said[-1] == "Signed. The case is final."


def test_round_one_high_risk_says_second_review_needed_not_final(client, alice, bob):
    case = ready_case(alice, draft=MELANOMA)
    client.force_login(bob)
    said = _sign_on_page(client, case, first_draft(case), MELANOMA)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW
    assert "needs a second, different reviewer" in said[-1] and "final" not in said[-1]


def test_round_two_concordant_says_final_not_second_reviewer(client, alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    client.force_login(dave)
    said = _sign_on_page(client, case, first_draft(case), MELANOMA)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    assert "final" in said[-1] and "second, different reviewer" not in said[-1]


def test_round_two_disagreeing_says_adjudication(client, alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    client.force_login(dave)
    said = _sign_on_page(client, case, first_draft(case), NEVUS)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION
    assert "adjudication" in said[-1] and "final" not in said[-1]


def test_api_sign_detail_matches_the_state(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    draft = first_draft(case)
    details = []
    for reviewer, fields in ((bob, MELANOMA), (dave, NEVUS)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(reviewer)}")
        assert client.post(f"/api/v1/cases/{case.pk}/claim/").status_code == 200
        case.refresh_from_db()
        response = client.post(f"/api/v1/cases/{case.pk}/sign/", {
            "fields": fields, "confirmed_fields": list(FINDING_FIELDS), "draft_id": draft.pk,
            "expected_lock_version": case.lock_version, "attestation": True, **factories.SIGN_PLAN,
        }, format="json")
        assert response.status_code == 201, response.content[:500]
        case.refresh_from_db()
        details.append((case.status, response.json()["round"], response.json()["detail"]))
    assert details == [
        (CaseStatus.NEEDS_SECOND_REVIEW, 1, state_message(action="sign", status=CaseStatus.NEEDS_SECOND_REVIEW, round=1)),
        (CaseStatus.NEEDS_ADJUDICATION, 2, state_message(action="sign", status=CaseStatus.NEEDS_ADJUDICATION, round=2)),
    ]


def test_claim_and_release_messages_follow_the_state(client, alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    client.force_login(dave)
    response = client.post(reverse("review:claim", args=[case.pk]))
    assert _messages(response) == ["You hold this case now for its second review."]
    response = client.post(reverse("review:release", args=[case.pk]))
    assert _messages(response)[-1] == (f"Case #{case.pk} released: it still needs a second review, by a reviewer "
                                       "other than the first.")


def test_blind_entry_message(client, alice, bob):
    case = ready_case(alice, blind_first=True)
    client.force_login(bob)
    client.post(reverse("review:claim", args=[case.pk]))
    response = client.post(reverse("review:blind", args=[case.pk]), dict(NEVUS))
    assert _messages(response)[-1] == "Your finding is saved. The AI draft is now shown: sign your final finding."


def test_ungradable_messages_follow_the_state(client, alice, bob):
    case = ready_case(alice, drafts=2)
    first, second = case.images.order_by("pk")
    client.force_login(bob)
    response = client.post(reverse("review:ungradable", args=[first.pk]), {"category": "blur"})
    assert _messages(response) == ["Photo marked ungradable. The case still awaits review."]
    response = client.post(reverse("review:ungradable", args=[second.pk]), {"category": "glare"})
    assert "the clinician is asked for a new photo" in _messages(response)[-1]


@pytest.mark.parametrize(("action", "status", "round_", "expected"), [
    ("sign", CaseStatus.FINAL, 1, "final"),
    ("sign", CaseStatus.NEEDS_SECOND_REVIEW, 1, "second, different reviewer"),
    ("sign", CaseStatus.FINAL, 2, "final"),
    ("sign", CaseStatus.NEEDS_ADJUDICATION, 2, "adjudication"),
    ("adjudicate", CaseStatus.FINAL, 3, "final"),
    ("amend", CaseStatus.FINAL, 1, "final"),
    ("amend", CaseStatus.NEEDS_SECOND_REVIEW, 1, "second, different reviewer"),
    ("claim", CaseStatus.AWAITING_REVIEW, None, "You hold this case"),
    ("release", CaseStatus.AWAITING_REVIEW, None, "released"),
    ("ungradable", CaseStatus.NEEDS_NEW_PHOTO, None, "new photo"),
    ("something", CaseStatus.FINAL, None, "final"),
])
def test_state_message_table(action, status, round_, expected):
    said = state_message(action=action, status=status, round=round_)
    assert expected in said
    if status != CaseStatus.FINAL:
        assert "is final" not in said
