"""The review admin: signed findings read-only, inside the clinic; the AI draft a reviewer was shown appears only
where the review pages would show it, labelled, and each showing is audited as `draft.view`."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_admin(clinic: Any) -> Any:
    return UserFactory(username="rae", organisation=clinic, roles=["clinic_admin", "reviewer"])


@pytest.fixture
def review(alice_image: Any, bob: Any, draft_factory: Any, review_factory: Any) -> Any:
    draft = draft_factory(image=alice_image, lesion_type="AI-SAYS-NEVUS")
    snapshot = {"draft_id": draft.pk, "image_id": alice_image.pk, "fields": draft.finding_fields(),
                "model_id": draft.model_id, "model_revision": draft.model_revision,
                "prompt_version": draft.prompt_version}
    return review_factory(case=alice_image.case, reviewer=bob, draft=draft, draft_snapshot=snapshot)


def test_review_admin_shows_the_draft_labelled_and_audits_the_view(client_for, reviewer_admin, review):
    page = client_for(reviewer_admin).get(reverse("admin:review_review_change", args=[review.pk]))

    html = page.content.decode()
    assert page.status_code == 200 and "AI-SAYS-NEVUS" in html and "AI draft, not a finding" in html
    assert 'name="_save"' not in html
    event = AuditEvent.objects.get(action="draft.view")
    assert (event.actor, event.case_id) == (reviewer_admin, review.case_id)
    assert event.details == {"via": "admin", "review_id": review.pk, "draft_id": review.draft_id}


def test_review_admin_withholds_a_draft_the_blind_first_rule_hides(client_for, reviewer_admin, review, monkeypatch):
    monkeypatch.setattr("dermreview.review.admin.draft_visible_to", lambda *, case, user: False)

    html = client_for(reviewer_admin).get(reverse("admin:review_review_change", args=[review.pk])).content.decode()

    assert "AI-SAYS-NEVUS" not in html
    assert not AuditEvent.objects.filter(action="draft.view").exists()


def test_review_admin_lists_no_rows_for_an_operator_or_another_clinic(client_for, oscar, hana, review):
    assert client_for(oscar).get(reverse("admin:review_review_changelist")).status_code == 403
    assert client_for(hana).get(reverse("admin:review_review_changelist")).status_code == 403  # no clinical role
