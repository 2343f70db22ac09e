"""The review page shows the AI's lesion type (the model card's clinical classification) as a suggestion, not a
diagnosis, with the class of the clinic's vocabulary it maps to; signing that text records exactly that class."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.cases.models import CaseStatus
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import CARD_MELANOMA, NEVUS, RESOLVED, engine_drafted_case

pytestmark = pytest.mark.django_db


def _note(body: str) -> str:
    """The class note under the lesion-type field of the sign form."""
    start = body.index('id="ai-class-lesion_type"')
    return body[start:body.index("</p>", start)]


def _started_page(client: Any, case: Any) -> Any:
    assert client.post(reverse("review:claim", args=[case.pk])).status_code == 302
    return client.get(reverse("review:case", args=[case.pk]))


def test_review_page_shows_the_ai_lesion_type_class_and_the_resolved_weights(client: Any, alice: Any,
                                                                             bob: Any) -> None:
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)
    client.force_login(bob)

    body = _started_page(client, case).content.decode()

    note = _note(body)
    assert "AI suggestion, not a diagnosis" in note and 'data-class-code="mel-ss"' in note
    assert "Superficial spreading melanoma</strong>" in note and "high-risk: needs a second reviewer" in note
    assert f"weights <code>{RESOLVED}</code>" in body
    assert '<span class="risk-flag">High risk</span>' in body


def test_review_page_says_when_the_ai_lesion_type_names_no_class(client: Any, alice: Any, bob: Any) -> None:
    case = engine_drafted_case(alice, finding={**NEVUS, "lesion_type": "pigmented lesion of the back"})
    client.force_login(bob)

    body = _started_page(client, case).content.decode()

    assert "no matching class (treated as high-risk)" in _note(body)
    assert '<span class="risk-flag">High risk</span>' in body


def test_blind_first_reveal_shows_the_class_only_after_the_reviewers_own_finding(client: Any, alice: Any,
                                                                                bob: Any) -> None:
    case = engine_drafted_case(alice, finding=CARD_MELANOMA, blind_first=True)
    client.force_login(bob)

    before = _started_page(client, case).content.decode()
    # ("Superficial spreading melanoma" is in the page regardless: a class name among the form's suggestions.)
    assert 'data-role="lesion-class"' not in before and "AI suggestion, not a diagnosis" not in before
    assert client.post(reverse("review:blind", args=[case.pk]), NEVUS).status_code == 302
    after = client.get(reverse("review:case", args=[case.pk])).content.decode()

    assert 'class="ai-beside ai-draft"' in after  # the reveal: the AI's text beside the reviewer's own
    assert "Superficial spreading melanoma</strong>" in _note(after) and "AI suggestion, not a diagnosis" in after


def test_signing_the_ai_lesion_type_records_the_class_the_page_showed(client: Any, alice: Any, bob: Any) -> None:
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)
    client.force_login(bob)
    page = _started_page(client, case)
    form = page.context["form"]
    data = {**{name: value for name, value in form.initial.items() if value is not None}, "action": "sign",
            "attestation": "on", **{f"confirm_{name}": "on" for name in CARD_MELANOMA}}

    assert client.post(reverse("review:case", args=[case.pk]), data).status_code == 302

    review = Review.objects.get(case=case)
    shown = _note(page.content.decode())
    assert review.lesion_type == "Superficial spreading melanoma"
    assert f'data-class-code="{review.lesion_class.code}"' in shown
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW
