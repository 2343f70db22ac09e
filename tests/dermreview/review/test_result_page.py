"""The result page shows the AI draft's text beside the signed finding: that is a recorded read of the draft."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from tests.dermreview.review.review_helpers import ready_case, sign

pytestmark = pytest.mark.django_db


def test_result_page_records_draft_view(alice, bob, client_for):
    review = sign(ready_case(alice), bob)
    before = AuditEvent.objects.filter(action="draft.view").count()
    response = client_for(bob).get(reverse("review:result", args=[review.pk]))
    assert response.status_code == 200 and 'class="ai-draft"' in response.content.decode()
    event = AuditEvent.objects.filter(action="draft.view").latest("sequence")
    assert AuditEvent.objects.filter(action="draft.view").count() == before + 1
    assert event.details["via"] == "review_result" and event.details["draft_ids"] == [review.draft_id]


def test_result_page_without_draft_records_no_draft_view(alice, bob, client_for):
    review = sign(ready_case(alice), bob)
    type(review).objects.filter(pk=review.pk).update(draft_snapshot={})
    before = AuditEvent.objects.filter(action="draft.view").count()
    assert client_for(bob).get(reverse("review:result", args=[review.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="draft.view").count() == before
