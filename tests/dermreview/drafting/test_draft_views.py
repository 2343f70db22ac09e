"""The case page's draft status: who sees what, the polling endpoint, the fragment and its audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import DraftingControl, DraftStatus, FailureKind
from dermreview.drafting.services.identity import model_identity
from tests.factories import SAMPLE_FINDING, BlindFindingFactory, DraftFactory, LesionImageFactory

pytestmark = pytest.mark.django_db

AI_LABEL = "Unreviewed AI draft — not a diagnosis"


def _draft(image: Any, **extra: Any) -> Any:
    identity = model_identity()
    return DraftFactory(image=image, model_id=identity.model_id, model_revision=identity.model_revision,
                        prompt_version=identity.prompt_version, **extra)


def test_case_page_shows_reviewer_the_labelled_draft_and_audits_the_view(
    alice_image: Any, bob: Any, client_for: Any,
) -> None:
    draft = _draft(alice_image)
    page = client_for(bob).get(reverse("cases:detail", args=[alice_image.case_id])).content.decode()
    assert AI_LABEL in page and 'class="ai-draft' in page
    assert SAMPLE_FINDING["summary"] in page
    assert "js/draft_status.js" in page and "<script>" not in page
    assert AuditEvent.objects.filter(action="draft.view", actor=bob, object_id=str(draft.pk)).count() == 1


def test_case_page_shows_clinician_only_the_status_never_the_draft(
    alice_image: Any, alice: Any, client_for: Any,
) -> None:
    _draft(alice_image)
    page = client_for(alice).get(reverse("cases:detail", args=[alice_image.case_id])).content.decode()
    assert "Draft ready" in page
    assert "An AI draft is waiting for a reviewer" in page
    assert SAMPLE_FINDING["summary"] not in page and SAMPLE_FINDING["lesion_type"] not in page
    assert not AuditEvent.objects.filter(action="draft.view").exists()


def test_final_case_tells_clinician_the_signed_finding_is_the_result(
    alice_image: Any, alice: Any, client_for: Any,
) -> None:
    _draft(alice_image)
    case = alice_image.case
    case.status = "final"
    case.save(update_fields=["status"])
    page = client_for(alice).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "A reviewer has signed this case" in page
    assert "An AI draft is waiting for a reviewer" not in page
    assert SAMPLE_FINDING["summary"] not in page


def test_blind_first_case_hides_the_draft_from_the_reviewer_until_their_own_finding(
    alice_image: Any, bob: Any, client_for: Any,
) -> None:
    case = alice_image.case
    case.blind_first = True
    case.save(update_fields=["blind_first"])
    _draft(alice_image)
    url = reverse("drafting:image_draft", args=[alice_image.pk])
    hidden = client_for(bob).get(url).content.decode()
    assert "stays hidden until you record your own finding" in hidden
    assert SAMPLE_FINDING["summary"] not in hidden
    BlindFindingFactory(case=case, reviewer=bob)
    assert SAMPLE_FINDING["summary"] in client_for(bob).get(url).content.decode()


def test_draft_status_json_reports_each_image_with_queue_position(
    alice_case: Any, alice: Any, client_for: Any,
) -> None:
    earlier = timezone.now() - timedelta(minutes=5)
    other = LesionImageFactory()  # another clinic's photo, queued first: it counts, its data does not show
    _draft(other, status=DraftStatus.QUEUED, queued_at=earlier)
    first, second, third = LesionImageFactory.create_batch(3, case=alice_case, uploaded_by=alice)
    _draft(first, status=DraftStatus.QUEUED, queued_at=earlier + timedelta(seconds=1))
    _draft(second, status=DraftStatus.RUNNING, queued_at=earlier)
    _draft(third, status=DraftStatus.NEEDS_MANUAL_ENTRY, failure_kind=FailureKind.TRUNCATED, raw_output='{"les')
    response = client_for(alice).get(reverse("drafting:draft_status", args=[alice_case.pk]))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data = response.json()
    by_image = {item["image_id"]: item for item in data["images"]}
    assert set(by_image) == {first.pk, second.pk, third.pk}
    assert by_image[first.pk]["status"] == "queued" and by_image[first.pk]["queue_position"] == 1
    assert by_image[second.pk]["status"] == "running"
    assert by_image[third.pk]["status"] == "needs_manual_entry"
    assert "cut off at the token limit" in by_image[third.pk]["detail"]
    assert data["pending"] is True and data["paused"] is False
    assert "lesion_type" not in str(data), "the status JSON never carries draft text"
    assert not AuditEvent.objects.filter(action="draft.view").exists(), "polling is not audited"


def test_draft_status_and_fragment_are_404_for_outsiders(alice_image: Any, mallory: Any, client_for: Any) -> None:
    _draft(alice_image)
    client = client_for(mallory)
    assert client.get(reverse("drafting:draft_status", args=[alice_image.case_id])).status_code == 404
    assert client.get(reverse("drafting:image_draft", args=[alice_image.pk])).status_code == 404


def test_draft_status_requires_login(alice_image: Any, client: Any) -> None:
    response = client.get(reverse("drafting:draft_status", args=[alice_image.case_id]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_paused_drafting_says_review_by_manual_entry(alice_image: Any, alice: Any, client_for: Any) -> None:
    _draft(alice_image, status=DraftStatus.QUEUED, queued_at=timezone.now())
    control = DraftingControl.current()
    control.enabled = False
    control.save()
    client = client_for(alice)
    data = client.get(reverse("drafting:draft_status", args=[alice_image.case_id])).json()
    assert data["paused"] and data["paused_message"] == "AI drafting is paused — review by manual entry"
    page = client.get(reverse("cases:detail", args=[alice_image.case_id])).content.decode()
    assert "AI drafting is paused — review by manual entry" in page


def test_failed_draft_shows_the_reason_and_reviewer_sees_the_raw_output(
    alice_image: Any, bob: Any, client_for: Any,
) -> None:
    _draft(alice_image, status=DraftStatus.FAILED, failure_kind=FailureKind.MODEL_LOAD, attempts=1,
           failure_message="model directory /models/x does not exist", raw_output="partial reply")
    html = client_for(bob).get(reverse("drafting:image_draft", args=[alice_image.pk])).content.decode()
    assert "Model could not be loaded: model directory /models/x does not exist. Retrying automatically." in html
    assert "Retrying automatically." in html
    assert "Unreviewed AI output" in html and "partial reply" in html


def test_failed_draft_shows_clinician_the_kind_but_not_server_details(
    alice_image: Any, alice: Any, client_for: Any,
) -> None:
    _draft(alice_image, status=DraftStatus.FAILED, failure_kind=FailureKind.MODEL_LOAD, attempts=1,
           failure_message="model directory /models/x does not exist", raw_output="partial reply")
    html = client_for(alice).get(reverse("drafting:image_draft", args=[alice_image.pk])).content.decode()
    assert "Model could not be loaded. Retrying automatically." in html
    assert "/models/x" not in html and "partial reply" not in html


def test_fragment_of_a_ready_draft_audits_one_view(alice_image: Any, carol: Any, client_for: Any) -> None:
    draft = _draft(alice_image)
    response = client_for(carol).get(reverse("drafting:image_draft", args=[alice_image.pk]))
    assert response.status_code == 200 and AI_LABEL in response.content.decode()
    assert "<script" not in response.content.decode()
    assert AuditEvent.objects.filter(action="draft.view", actor=carol, object_id=str(draft.pk)).count() == 1
