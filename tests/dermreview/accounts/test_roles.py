"""Roles are groups; superusers are admins; inactive or anonymous users hold none."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from dermreview.accounts.roles import Role, can_audit, can_create_cases, can_review, require_role, roles_of


@pytest.mark.django_db
def test_roles_each_persona_can_do_what_its_role_allows(alice, bob, carol) -> None:  # noqa: ANN001
    assert (can_create_cases(alice), can_review(alice), can_audit(alice)) == (True, False, False)
    assert (can_create_cases(bob), can_review(bob), can_audit(bob)) == (False, True, False)
    assert (can_create_cases(carol), can_review(carol), can_audit(carol)) == (False, False, True)


@pytest.mark.django_db
def test_roles_superuser_holds_every_role(user_factory) -> None:  # noqa: ANN001
    admin = user_factory(roles=["admin"])

    assert roles_of(admin) == frozenset(Role)


@pytest.mark.django_db
def test_roles_inactive_and_anonymous_users_hold_none(alice) -> None:  # noqa: ANN001
    alice.is_active = False

    assert roles_of(alice) == frozenset()
    assert roles_of(AnonymousUser()) == frozenset()


@pytest.mark.django_db
def test_roles_require_role_raises_permission_denied(carol) -> None:  # noqa: ANN001
    require_role(carol, Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        require_role(carol, Role.CLINICIAN, Role.REVIEWER)


@pytest.mark.django_db
def test_roles_auditor_cannot_create_a_case(client_for, carol) -> None:  # noqa: ANN001
    response = client_for(carol).post(
        "/cases/new/", {"patient_ref": "PT-9", "body_site": "back", "lesion_label": "L1", "clinical_notes": ""}
    )

    assert response.status_code == 403


@pytest.mark.django_db
def test_admin_lists_and_searches_users_and_organisations(client, user_factory, alice) -> None:  # noqa: ANN001
    client.force_login(user_factory(username="root", organisation=alice.organisation, roles=["admin"]))

    users = client.get("/admin/accounts/user/", {"q": "alice"})
    organisations = client.get("/admin/accounts/organisation/", {"q": "Riverside"})

    assert users.status_code == 200
    assert b"alice" in users.content
    assert organisations.status_code == 200
    assert b"Riverside Dermatology" in organisations.content
