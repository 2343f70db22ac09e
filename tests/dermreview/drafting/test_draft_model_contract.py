"""What a draft records about the weights that wrote it, and how its lesion type is shown on the case page.

The model card's lesion type is a clinical classification ("Superficial spreading melanoma", "naevus"): shown to
reviewers as an AI suggestion, not a diagnosis, beside the class of the clinic's vocabulary it maps to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import Draft
from tests.dermreview.review.review_helpers import CARD_MELANOMA, NEVUS, RESOLVED, engine_drafted_case

pytestmark = pytest.mark.django_db

SUGGESTION = "AI suggestion, not a diagnosis"


def _draft_box(html: str) -> str:
    start = html.index('class="ai-draft draft-fields-box"')
    return html[start:html.index("</div>", start)]


def test_draft_store_result_records_the_resolved_revision_and_audits_it(alice: Any) -> None:
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)

    draft = Draft.objects.get(image__case=case)
    assert (draft.model_revision, draft.resolved_revision) == ("main", RESOLVED)
    event = AuditEvent.objects.get(action="draft.generated", object_id=str(draft.pk))
    assert event.details["resolved_revision"] == RESOLVED


def test_draft_store_result_cuts_a_long_resolved_revision_to_the_column(alice: Any) -> None:
    case = engine_drafted_case(alice, finding=NEVUS, resolved_revision="a" * 300)

    assert Draft.objects.get(image__case=case).resolved_revision == "a" * 200


_CLASS = 'Maps to the class <strong class="lesion-class-name">{}</strong>'


@pytest.mark.parametrize(("lesion_type", "shown"), [
    ("Superficial spreading melanoma",
     _CLASS.format("Superficial spreading melanoma") + ' <span class="risk-flag">high-risk: needs a second reviewer'),
    ("melanocytic nevus", _CLASS.format("Melanocytic naevus") + "</span>"),  # benign: no flag follows
    ("weird blob", '<span class="risk-flag">no matching class (treated as high-risk)</span>'),
])
def test_case_page_shows_the_ai_lesion_type_as_a_suggestion_with_its_class(
    lesion_type: str, shown: str, alice: Any, bob: Any, client_for: Any,
) -> None:
    case = engine_drafted_case(alice, finding={**NEVUS, "lesion_type": lesion_type})

    box = _draft_box(client_for(bob).get(reverse("cases:detail", args=[case.pk])).content.decode())

    assert SUGGESTION in box and shown in box
    assert f"weights {RESOLVED}" in box


def test_case_page_shows_a_clinician_neither_the_suggestion_nor_its_class(
    alice: Any, client_for: Any,
) -> None:
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)

    html = client_for(alice).get(reverse("cases:detail", args=[case.pk])).content.decode()

    assert SUGGESTION not in html and "Superficial spreading" not in html and 'data-role="lesion-class"' not in html


def test_admin_draft_page_shows_the_resolved_revision(adam: Any, alice: Any, client_for: Any) -> None:
    draft = Draft.objects.get(image__case=engine_drafted_case(alice, finding=CARD_MELANOMA))

    page = client_for(adam).get(reverse("admin:drafting_draft_change", args=[draft.pk])).content.decode()

    assert re.search(r"field-resolved_revision\b", page) and RESOLVED in page
    assert "Superficial spreading melanoma" not in page  # still never the draft's text
