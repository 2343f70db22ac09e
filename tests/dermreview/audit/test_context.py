"""The audit context: services take no `request`, yet every event of a web request knows who and from where."""

from __future__ import annotations

import pytest

from dermreview.audit.context import audit_context, current_audit_context
from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log


@pytest.mark.django_db
def test_event_inside_a_request_records_the_client_address(client_for, alice) -> None:  # noqa: ANN001
    client = client_for(alice)
    response = client.post("/cases/new/", {"patient_ref": "MRN-7", "body_site": "back", "lesion_label": "L1"},
                           REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="case.create")
    assert (event.actor, event.ip_address) == (alice, "203.0.113.9")


@pytest.mark.django_db
def test_event_outside_any_request_has_no_address_and_no_actor(alice_case) -> None:  # noqa: ANN001
    event = audit_log(action="draft.reconciled", obj=alice_case)
    assert (event.ip_address, event.actor) == (None, None)


@pytest.mark.django_db
def test_unnamed_actor_comes_from_the_context_but_an_explicit_none_stays_none(alice, alice_case) -> None:  # noqa: ANN001
    with audit_context(ip_address="192.0.2.1", actor_getter=lambda: alice):
        implied = audit_log(action="case.view", obj=alice_case)
        system = audit_log(action="auth.login_failed", actor=None, details={"username": "x"})
    assert implied.actor == alice
    assert system.actor is None and system.ip_address == "192.0.2.1"


def test_context_is_closed_after_the_block() -> None:
    with audit_context(ip_address="192.0.2.1"):
        assert current_audit_context() is not None
    assert current_audit_context() is None
