from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import DraftingControl, WorkerHeartbeat
from dermreview.drafting.services.identity import model_identity
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(clinic):  # noqa: ANN001, ANN201
    return UserFactory(username="ada", organisation=clinic, roles=["admin"])


def test_governance_page_shows_model_workers_queue_and_switch(client_for, carol, draft_factory):
    identity = model_identity()
    WorkerHeartbeat.objects.create(worker="gpu@alive", model_id=identity.model_id, model_revision=identity.model_revision,
                                   prompt_version=identity.prompt_version, model_loaded=True, last_seen=timezone.now())
    WorkerHeartbeat.objects.create(worker="gpu@gone", model_id="old/model", model_revision="x", model_loaded=False,
                                   last_error="CUDA out of memory", last_seen=timezone.now() - timedelta(hours=2))
    draft_factory(status="queued")
    html = client_for(carol).get(reverse("oversight:governance")).content.decode()
    assert identity.model_id in html and identity.prompt_version in html
    assert "gpu@alive" in html and "alive" in html and "gpu@gone" in html and "silent" in html
    assert "CUDA out of memory" in html and "differs from the configured model" in html
    assert "<dt>Drafts queued</dt><dd>1</dd>" in html
    assert "AI drafting is ON" in html and "Only administrators can flip the switch" in html


def test_kill_switch_needs_a_reason_and_is_audited(client_for, admin, clinic):
    client = client_for(admin)
    url = reverse("oversight:governance")
    response = client.post(url, {"enabled": "off", "reason": "  "})
    assert response.status_code == 400 and b"A reason is required" in response.content
    assert DraftingControl.current().enabled is True

    response = client.post(url, {"enabled": "off", "reason": "Model gives odd borders since upgrade"}, follow=True)
    control = DraftingControl.current()
    assert control.enabled is False and control.changed_by == admin
    html = response.content.decode()
    assert "AI drafting is OFF" in html and "Model gives odd borders since upgrade" in html and "by ada" in html
    event = AuditEvent.objects.get(action="drafting.kill_switch")
    assert event.actor == admin and event.details["reason"] == "Model gives odd borders since upgrade"


def test_kill_switch_cannot_be_flipped_by_an_auditor(client_for, carol):
    response = client_for(carol).post(reverse("oversight:governance"), {"enabled": "off", "reason": "curious"})
    assert response.status_code == 403
    assert DraftingControl.current().enabled is True
    assert not AuditEvent.objects.filter(action="drafting.kill_switch").exists()


def test_kill_switch_hides_who_flipped_it_in_another_organisation(client_for, carol, other_clinic):
    outsider_admin = UserFactory(username="hilltop-admin", organisation=other_clinic, roles=["admin"])
    control = DraftingControl.current()
    control.enabled, control.reason, control.changed_by, control.changed_at = False, "maintenance", outsider_admin, timezone.now()
    control.save()
    html = client_for(carol).get(reverse("oversight:governance")).content.decode()
    assert "hilltop-admin" not in html and "an administrator of another organisation" in html
