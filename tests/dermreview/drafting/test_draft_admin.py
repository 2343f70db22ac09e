"""The Django admin for drafting: the kill switch form records who and why, failed drafts can be requeued."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import DraftingControl, DraftStatus, WorkerHeartbeat
from tests.factories import DraftFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(clinic: Any) -> Any:
    return UserFactory(username="root", organisation=clinic, roles=["admin"])


def test_admin_kill_switch_changelist_opens_the_single_row(admin_user: Any, client_for: Any) -> None:
    response = client_for(admin_user).get(reverse("admin:drafting_draftingcontrol_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:drafting_draftingcontrol_change", args=[1])


def test_admin_kill_switch_needs_a_reason_and_audits_the_change(admin_user: Any, client_for: Any) -> None:
    client = client_for(admin_user)
    url = reverse("admin:drafting_draftingcontrol_change", args=[DraftingControl.current().pk])
    refused = client.post(url, {"change_reason": ""})  # "enabled" unticked, no reason
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert DraftingControl.current().enabled

    client.post(url, {"change_reason": "Vendor safety notice 2026-11"})
    control = DraftingControl.current()
    assert not control.enabled
    assert (control.changed_by, control.reason) == (admin_user, "Vendor safety notice 2026-11")
    event = AuditEvent.objects.get(action="drafting.kill_switch")
    assert event.actor == admin_user and event.details["enabled"] is False


def test_admin_requeue_action_restarts_failed_drafts(
    admin_user: Any, alice_case: Any, client_for: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    failed = DraftFactory(image__case=alice_case, status=DraftStatus.FAILED, failure_kind="model_load", attempts=5)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(admin_user).post(reverse("admin:drafting_draft_changelist"), {
            "action": "requeue_failed", "_selected_action": [failed.pk],
        })
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DraftStatus.QUEUED, 0)
    assert len(callbacks) == 1


def test_admin_draft_list_stays_inside_the_admins_organisation(
    admin_user: Any, alice_case: Any, other_clinic: Any, client_for: Any,
) -> None:
    own = DraftFactory(image__case=alice_case)
    foreign = DraftFactory(image__case__organisation=other_clinic)
    page = client_for(admin_user).get(reverse("admin:drafting_draft_changelist")).content.decode()
    assert f"Draft {own.pk} of image" in page
    assert f"Draft {foreign.pk} of image" not in page


def test_admin_lists_worker_heartbeats(admin_user: Any, client_for: Any) -> None:
    from django.utils import timezone

    WorkerHeartbeat.objects.create(worker="gpu@host-1", backend="transformers", model_id="m", model_loaded=False,
                                   last_error="model directory missing", last_seen=timezone.now())
    page = client_for(admin_user).get(reverse("admin:drafting_workerheartbeat_changelist")).content.decode()
    assert "gpu@host-1" in page and "model directory missing" in page
