from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import DraftingControl, WorkerHeartbeat
from dermreview.drafting.services.identity import model_identity

pytestmark = pytest.mark.django_db


def _switch_section(html: str, scope: str) -> str:
    start = html.index(f'id="{scope}-switch"')
    return html[start:html.index("</div>", start)]


def test_governance_page_shows_model_workers_queue_and_switches(client_for, carol, draft_factory):
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
    assert "AI drafting is ON" in html and "<form" not in _switch_section(html, "clinic")
    assert "Only this clinic's administrators can flip it" in html
    assert "Held by the installation's operators; shown here read-only" in html
    assert not DraftingControl.objects.exists()  # showing the page creates no switch
    assert "<dt>Prompt profile</dt><dd>card</dd>" in html
    assert "<dt>Decoding</dt><dd>schema (held to the six fields)</dd>" in html


def test_clinic_switch_needs_a_reason_and_is_audited_under_the_clinic(client_for, adam, clinic, other_clinic):
    client = client_for(adam)
    url = reverse("oversight:governance")
    page = client.get(url).content.decode()
    assert "<form" in _switch_section(page, "clinic") and "<form" not in _switch_section(page, "global")
    response = client.post(url, {"enabled": "off", "reason": "  "})
    assert response.status_code == 400 and b"A reason is required" in response.content
    assert DraftingControl.drafting_allowed(clinic.pk)

    response = client.post(url, {"enabled": "off", "reason": "Model gives odd borders since upgrade"}, follow=True)
    control = DraftingControl.objects.get(organisation=clinic)
    assert control.enabled is False and control.changed_by == adam
    assert DraftingControl.drafting_allowed(other_clinic.pk) and DraftingControl.current().enabled
    html = response.content.decode()
    assert "AI drafting is OFF" in html and "Model gives odd borders since upgrade" in html and "by adam" in html
    event = AuditEvent.objects.get(action="drafting.kill_switch")
    assert (event.actor, event.organisation) == (adam, clinic)
    assert event.details["reason"] == "Model gives odd borders since upgrade"


def test_another_clinics_switch_leaves_this_clinic_drafting(client_for, carol, hana, other_clinic):
    client_for(hana).post(reverse("oversight:governance"), {"enabled": "off", "reason": "their maintenance"})
    assert not DraftingControl.drafting_allowed(other_clinic.pk)
    html = client_for(carol).get(reverse("oversight:governance")).content.decode()
    assert "AI drafting is ON" in html and "their maintenance" not in html


def test_kill_switches_cannot_be_flipped_by_an_auditor(client_for, carol):
    client = client_for(carol)
    assert client.post(reverse("oversight:governance"), {"enabled": "off", "reason": "curious"}).status_code == 403
    response = client.post(reverse("oversight:global_switch"), {"global-enabled": "off", "global-reason": "curious"})
    assert response.status_code == 403
    assert not DraftingControl.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="drafting.kill_switch").exists()


def test_global_switch_is_read_only_for_a_clinic_admin(client_for, adam):
    response = client_for(adam).post(reverse("oversight:global_switch"),
                                      {"global-enabled": "off", "global-reason": "for everyone"})
    assert response.status_code == 403
    assert DraftingControl.drafting_allowed()
    assert not AuditEvent.objects.filter(action__startswith="drafting.kill_switch").exists()


def test_operator_turns_the_global_switch_off_for_every_clinic(client_for, carol, oscar, clinic, other_clinic):
    client = client_for(oscar)
    page = client.get(reverse("oversight:governance")).content.decode()
    assert 'id="clinic-switch"' not in page and "<form" in _switch_section(page, "global")
    refused = client.post(reverse("oversight:global_switch"), {"global-enabled": "off", "global-reason": ""})
    assert refused.status_code == 400 and "A reason is required" in _switch_section(refused.content.decode(), "global")
    response = client.post(reverse("oversight:global_switch"),
                           {"global-enabled": "off", "global-reason": "Vendor recall"}, follow=True)
    assert "AI drafting is OFF on this installation" in response.content.decode()
    assert not DraftingControl.drafting_allowed() and not DraftingControl.drafting_allowed(other_clinic.pk)
    events = AuditEvent.objects.filter(action="drafting.kill_switch.global")
    assert sorted(e.organisation_id for e in events) == sorted([clinic.pk, other_clinic.pk])

    html = client_for(carol).get(reverse("oversight:governance")).content.decode()
    assert "AI drafting is OFF" in html and "Vendor recall" in _switch_section(html, "global")
    # Who the operator is stays outside the clinics.
    assert "oscar" not in _switch_section(html, "global") and "an operator of this installation" in html
