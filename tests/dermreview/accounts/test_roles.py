"""Roles are groups; a superuser is the installation's operator, not a clinician, reviewer or auditor; inactive or
anonymous users hold none."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from dermreview.accounts.roles import (
    Role,
    can_audit,
    can_create_cases,
    can_review,
    is_clinic_admin,
    is_operator,
    require_role,
    roles_of,
)


@pytest.mark.django_db
def test_roles_each_persona_can_do_what_its_role_allows(alice, bob, carol) -> None:  # noqa: ANN001
    assert (can_create_cases(alice), can_review(alice), can_audit(alice)) == (True, False, False)
    assert (can_create_cases(bob), can_review(bob), can_audit(bob)) == (False, True, False)
    assert (can_create_cases(carol), can_review(carol), can_audit(carol)) == (False, False, True)


@pytest.mark.django_db
def test_roles_superuser_is_an_operator_and_holds_no_clinic_role(oscar, clinic, user_factory) -> None:  # noqa: ANN001
    superuser_in_a_clinic = user_factory(organisation=clinic, roles=["operator"])

    for user in (oscar, superuser_in_a_clinic):
        assert roles_of(user) == frozenset({Role.OPERATOR})
        assert (can_create_cases(user), can_review(user), can_audit(user)) == (False, False, False)
        assert is_operator(user) and not is_clinic_admin(user)
        with pytest.raises(PermissionDenied):  # an older call site naming ADMIN next to a clinical role
            require_role(user, Role.CLINICIAN, Role.ADMIN)
    require_role(oscar, Role.ADMIN)  # ADMIN alone still names the operator


@pytest.mark.django_db
def test_roles_clinic_admin_manages_without_clinical_roles(adam) -> None:  # noqa: ANN001
    assert roles_of(adam) == frozenset({Role.CLINIC_ADMIN})
    assert is_clinic_admin(adam) and not is_operator(adam) and adam.is_staff and not adam.is_superuser
    assert (can_create_cases(adam), can_review(adam), can_audit(adam)) == (False, False, False)


@pytest.mark.django_db
def test_roles_an_earlier_admin_keeps_every_role_in_their_clinic(user_factory, clinic) -> None:  # noqa: ANN001
    # What migration accounts 0003 makes of a superuser with an organisation (the factory's "admin").
    admin = user_factory(organisation=clinic, roles=["admin"])

    assert roles_of(admin) == frozenset(Role)
    assert (can_create_cases(admin), can_review(admin), can_audit(admin)) == (True, True, True)


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
def test_admin_lists_and_searches_users_and_organisations(client, adam, alice) -> None:  # noqa: ANN001
    client.force_login(adam)

    users = client.get("/admin/accounts/user/", {"q": "alice"})
    organisations = client.get("/admin/accounts/organisation/", {"q": "Riverside"})

    assert users.status_code == 200
    assert b"alice" in users.content
    assert organisations.status_code == 200
    assert b"Riverside Dermatology" in organisations.content
