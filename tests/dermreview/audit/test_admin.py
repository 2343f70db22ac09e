"""The Django admin shows the audit trail read-only: no add, change or delete, even for a superuser."""

from __future__ import annotations

import pytest

from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log


@pytest.fixture
def admin_client(client, user_factory, clinic):  # noqa: ANN001, ANN201
    client.force_login(user_factory(username="root", organisation=clinic, roles=["admin"]))
    return client


@pytest.fixture
def event(alice) -> AuditEvent:  # noqa: ANN001
    return audit_log(action="case.view", actor=alice, details={"note": "original"})


@pytest.mark.django_db
def test_audit_admin_lists_and_shows_events(admin_client, event: AuditEvent) -> None:  # noqa: ANN001
    listing = admin_client.get("/admin/audit/auditevent/")
    detail = admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/")

    assert listing.status_code == 200
    assert b"case.view" in listing.content
    assert b"/admin/audit/auditevent/add/" not in listing.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content  # view-only page, no save button


@pytest.mark.django_db
def test_audit_admin_refuses_add_change_and_delete(admin_client, event: AuditEvent) -> None:  # noqa: ANN001
    base = "/admin/audit/auditevent/"
    before = AuditEvent.objects.count()

    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}add/", {"action": "forged"}).status_code == 403
    assert admin_client.post(f"{base}{event.pk}/change/", {"action": "forged"}).status_code == 403
    assert admin_client.get(f"{base}{event.pk}/delete/").status_code == 403
    assert admin_client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = admin_client.post(base, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)

    event.refresh_from_db()
    assert event.action == "case.view"
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_audit_admin_is_closed_to_non_staff(client_for, carol) -> None:  # noqa: ANN001
    response = client_for(carol).get("/admin/audit/auditevent/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
