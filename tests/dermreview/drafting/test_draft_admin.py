"""The Django admin for drafting: each user sees the kill switches they hold (a clinic administrator their clinic's,
an operator the global one), the change form records who and why, drafts show no text, failed ones can be requeued."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import FINDING_FIELDS, DraftingControl, DraftStatus, WorkerHeartbeat
from tests.factories import DraftFactory

pytestmark = pytest.mark.django_db


def test_admin_kill_switch_clinic_admin_goes_to_their_clinics_switch_and_changes_it(
    adam: Any, clinic: Any, client_for: Any,
) -> None:
    client = client_for(adam)
    response = client.get(reverse("admin:drafting_draftingcontrol_changelist"))
    control = DraftingControl.objects.get(organisation=clinic)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:drafting_draftingcontrol_change", args=[control.pk])

    url = response["Location"]
    refused = client.post(url, {"change_reason": ""})  # "enabled" unticked, no reason
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert DraftingControl.drafting_allowed(clinic.pk)
    client.post(url, {"change_reason": "Vendor safety notice 2026-11"})
    control.refresh_from_db()
    assert not control.enabled and (control.changed_by, control.reason) == (adam, "Vendor safety notice 2026-11")
    assert DraftingControl.drafting_allowed() and not DraftingControl.drafting_allowed(clinic.pk)
    event = AuditEvent.objects.get(action="drafting.kill_switch")
    assert (event.actor, event.organisation, event.details["enabled"]) == (adam, clinic, False)


def test_admin_kill_switch_of_another_clinic_or_the_global_one_is_404_for_a_clinic_admin(
    adam: Any, other_clinic: Any, client_for: Any,
) -> None:
    theirs = DraftingControl.for_organisation(other_clinic.pk)
    global_switch = DraftingControl.current()
    client = client_for(adam)
    for control in (theirs, global_switch):
        url = reverse("admin:drafting_draftingcontrol_change", args=[control.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"change_reason": "not mine"}).status_code == 404
    assert DraftingControl.drafting_allowed(other_clinic.pk) and DraftingControl.current().enabled
    assert not AuditEvent.objects.filter(action__startswith="drafting.kill_switch").exists()


def test_admin_kill_switch_operator_changes_the_global_one_audited_for_every_clinic(
    oscar: Any, clinic: Any, other_clinic: Any, client_for: Any,
) -> None:
    client = client_for(oscar)
    response = client.get(reverse("admin:drafting_draftingcontrol_changelist"))
    assert response["Location"] == reverse("admin:drafting_draftingcontrol_change", args=[DraftingControl.current().pk])
    assert client.get(reverse("admin:drafting_draftingcontrol_change",
                              args=[DraftingControl.for_organisation(clinic.pk).pk])).status_code == 404

    client.post(response["Location"], {"change_reason": "GPU host maintenance"})
    assert not DraftingControl.current().enabled
    events = AuditEvent.objects.filter(action="drafting.kill_switch.global")
    assert sorted(e.organisation_id for e in events) == sorted([clinic.pk, other_clinic.pk])


def test_admin_draft_change_page_shows_status_but_never_the_draft_text(
    adam: Any, alice_case: Any, client_for: Any,
) -> None:
    draft = DraftFactory(image__case=alice_case, summary="Irregular pigment network, refer urgently",
                         raw_output='{"summary": "model reply 7f3a"}')
    page = client_for(adam).get(reverse("admin:drafting_draft_change", args=[draft.pk])).content.decode()
    assert "field-status" in page and "Draft ready" in page and "field-model_id" in page
    assert "Irregular pigment network" not in page and "model reply 7f3a" not in page
    for name in (*FINDING_FIELDS, "raw_output"):
        assert not re.search(rf"field-{name}\b", page), name
    assert not AuditEvent.objects.filter(action="draft.view").exists()


def test_admin_worker_heartbeats_are_for_operators_only(adam: Any, client_for: Any) -> None:
    url = reverse("admin:drafting_workerheartbeat_changelist")
    assert client_for(adam).get(url).status_code == 403


def test_admin_requeue_action_restarts_failed_drafts_of_the_admins_clinic(
    adam: Any, alice_case: Any, other_clinic: Any, client_for: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    failed = DraftFactory(image__case=alice_case, status=DraftStatus.FAILED, failure_kind="model_load", attempts=5)
    theirs = DraftFactory(image__case__organisation=other_clinic, status=DraftStatus.FAILED, failure_kind="model_load")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(adam).post(reverse("admin:drafting_draft_changelist"), {
            "action": "requeue_failed", "_selected_action": [failed.pk, theirs.pk],
        })
    assert response.status_code == 302
    failed.refresh_from_db()
    theirs.refresh_from_db()
    assert (failed.status, failed.attempts) == (DraftStatus.QUEUED, 0)
    assert theirs.status == DraftStatus.FAILED
    assert len(callbacks) == 1


def test_admin_draft_list_stays_inside_the_admins_organisation(
    adam: Any, alice_case: Any, other_clinic: Any, client_for: Any,
) -> None:
    own = DraftFactory(image__case=alice_case)
    foreign = DraftFactory(image__case__organisation=other_clinic)
    page = client_for(adam).get(reverse("admin:drafting_draft_changelist")).content.decode()
    assert f"Draft {own.pk} of image" in page
    assert f"Draft {foreign.pk} of image" not in page


def test_admin_lists_worker_heartbeats_to_operators(oscar: Any, client_for: Any) -> None:
    WorkerHeartbeat.objects.create(worker="gpu@host-1", backend="transformers", model_id="m", model_loaded=False,
                                   last_error="model directory missing", last_seen=timezone.now())
    page = client_for(oscar).get(reverse("admin:drafting_workerheartbeat_changelist")).content.decode()
    assert "gpu@host-1" in page and "model directory missing" in page
