"""Changes made in the admin are audited with old and new values; changes of credentials, roles, clinic or activity
end the user's sessions and API token, as does a user's own password change."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dermreview.accounts.models import User
from dermreview.api.models import ApiToken
from dermreview.audit.models import AuditEvent
from tests.factories import api_key_for

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "an entirely new passphrase 42"


def _signed_in(user: Any) -> Client:
    """A separate browser where `user` is signed in (a session row of their own, past any second factor)."""
    browser = Client()
    browser.force_login(user)
    assert _still_signed_in(browser)
    return browser


def _still_signed_in(browser: Client) -> bool:
    return browser.get("/accounts/password/").status_code == 200


def _sessions_of(user: Any) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))


def _user_form(user: Any, **changes: Any) -> dict[str, Any]:
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "groups": [g.pk for g in user.groups.all()], "is_active": "on"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_admin_change_is_audited_with_old_and_new_values(client_for, adam, bob):
    auditor = Group.objects.get(name="auditor")
    form = _user_form(bob, email="bob@riverside.example", groups=[*bob.groups.values_list("pk", flat=True), auditor.pk])

    assert client_for(adam).post(reverse("admin:accounts_user_change", args=[bob.pk]), form).status_code == 302

    event = AuditEvent.objects.get(action="admin.change")
    assert (event.actor, event.organisation, event.object_id) == (adam, bob.organisation, str(bob.pk))
    assert event.details["changes"] == {"email": ["bob@example.org", "bob@riverside.example"],
                                        "groups": [["reviewer"], ["auditor", "reviewer"]]}
    assert event.details["granted"] == ["auditor"] and event.details["revoked"] == []


def test_admin_password_reset_revokes_the_token_and_ends_every_session(client_for, adam, bob):
    key = api_key_for(bob)
    browser = _signed_in(bob)
    hash_before = User.objects.get(pk=bob.pk).password

    response = client_for(adam).post(reverse("admin:auth_user_password_change", args=[bob.pk]),
                                     {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).check_password(NEW_PASSWORD)
    assert not _still_signed_in(browser) and _sessions_of(bob) == 0
    assert not ApiToken.objects.filter(user=bob).exists()
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    change = AuditEvent.objects.get(action="admin.change")
    assert change.details["changes"] == {"password": ["(hidden)", "(changed)"]}
    revoke = AuditEvent.objects.get(action="auth.credentials_revoke")
    assert revoke.actor == adam and revoke.details == {"reason": "admin: password", "sessions_ended": 1}
    assert AuditEvent.objects.get(action="api.token.revoke").actor == adam
    # Neither hash reaches the trail.
    trail = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert hash_before.split("$")[-1] not in trail and User.objects.get(pk=bob.pk).password.split("$")[-1] not in trail


def test_deactivation_and_role_changes_end_sessions_and_tokens(client_for, adam, bob, carol):
    api_key_for(bob)
    api_key_for(carol)
    bob_browser, carol_browser = _signed_in(bob), _signed_in(carol)
    client = client_for(adam)

    client.post(reverse("admin:accounts_user_change", args=[bob.pk]), _user_form(bob, is_active=None))
    client.post(reverse("admin:accounts_user_change", args=[carol.pk]), _user_form(carol, groups=[]))

    assert not User.objects.get(pk=bob.pk).is_active
    assert not _still_signed_in(bob_browser) and not _still_signed_in(carol_browser)
    assert not ApiToken.objects.filter(user__in=[bob, carol]).exists()
    reasons = sorted(AuditEvent.objects.filter(action="auth.credentials_revoke").values_list("details__reason",
                                                                                             flat=True))
    assert reasons == ["admin: groups", "admin: is_active"]
    revoked = AuditEvent.objects.get(action="admin.change", object_id=str(carol.pk)).details["revoked"]
    assert revoked == ["auditor"]


def test_a_change_that_touches_no_credential_keeps_sessions(client_for, adam, bob):
    browser = _signed_in(bob)

    client_for(adam).post(reverse("admin:accounts_user_change", args=[bob.pk]), _user_form(bob, first_name="Bob"))

    assert _still_signed_in(browser)
    assert not AuditEvent.objects.filter(action="auth.credentials_revoke").exists()
    assert AuditEvent.objects.get(action="admin.change").details["changes"] == {"first_name": ["", "Bob"]}


def test_operator_superuser_grant_is_explicit_in_the_trail(client_for, oscar, bob):
    client_for(oscar).post(reverse("admin:accounts_user_change", args=[bob.pk]),
                           _user_form(bob, is_superuser="on", organisation=bob.organisation_id))

    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor == oscar
    assert event.details["changes"]["is_superuser"] == [False, True]
    assert event.details["changes"]["is_staff"] == [False, True]  # follows the roles, never set by hand
    assert event.details["granted"] == ["operator (superuser)"]


def test_admin_add_is_audited_without_the_password(client_for, adam):
    clinician = Group.objects.get(name="clinician")
    client_for(adam).post(reverse("admin:accounts_user_add"), {
        "username": "newbie", "usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "groups": [clinician.pk]})

    newbie = User.objects.get(username="newbie")
    event = AuditEvent.objects.get(action="admin.add")
    assert event.object_id == str(newbie.pk) and event.organisation == adam.organisation
    changes = event.details["changes"]
    assert changes["username"] == [None, "newbie"] and changes["groups"] == [None, ["clinician"]]
    assert changes["password"] == [None, "(changed)"]
    assert newbie.password.split("$")[-1] not in str(event.details)


def test_admin_token_revocation_is_audited_as_a_deletion(client_for, adam, bob):
    key = api_key_for(bob)
    token = ApiToken.objects.get(user=bob)

    client_for(adam).post(reverse("admin:api_apitoken_delete", args=[token.pk]), {"post": "yes"})

    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    event = AuditEvent.objects.get(action="admin.delete")
    assert event.details["changes"]["prefix"] == [token.prefix, None] and "digest" not in event.details["changes"]


def test_own_password_change_ends_other_sessions_and_the_token_but_keeps_this_one(client_for, alice):
    key = api_key_for(alice)
    elsewhere = _signed_in(alice)
    here = client_for(alice)

    here.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD})

    assert _still_signed_in(here) and not _still_signed_in(elsewhere)
    assert _sessions_of(alice) == 1
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    revoke = AuditEvent.objects.get(action="auth.credentials_revoke")
    assert revoke.details == {"reason": "password_change", "sessions_ended": 1}


def test_admin_own_password_page_is_the_audited_one(client_for, adam):
    response = client_for(adam).get(reverse("admin:password_change"))

    assert response.status_code == 302 and response["Location"] == reverse("password_change")
