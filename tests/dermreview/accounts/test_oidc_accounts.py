"""Single sign-on accounts and the password policy, without a browser: `external_identity_sign_in` (found by issuer
and subject, never e-mail; roles kept in step with the map; refusals write nothing), the password form of a clinic
that uses single sign-on only, the views while single sign-on is off, and start-up checks of the settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client

from dermreview.accounts.models import ExternalIdentity, User
from dermreview.accounts.oidc.errors import SignInRefused
from dermreview.accounts.oidc.mapping import Assignment
from dermreview.accounts.oidc.services import external_identity_sign_in
from dermreview.audit.models import AuditEvent

PASSWORD = "correct horse battery staple"
ISSUER = "https://login.riverside.example"
ROOT = Path(__file__).resolve().parents[3]


def _assignment(organisation: str, *roles: str) -> Assignment:
    return Assignment(organisation=organisation, roles=frozenset(roles), groups=("derm",))


@pytest.fixture
def role_groups(db: None) -> None:
    for role in ("clinician", "reviewer", "auditor", "clinic_admin"):
        Group.objects.get_or_create(name=role)


def test_sso_first_sign_in_creates_and_links_an_account_never_matched_by_email(role_groups, alice) -> None:  # noqa: ANN001
    claims = {"email": alice.email or "alice@example.org", "preferred_username": "alice", "given_name": "Alice"}
    alice.email = claims["email"]
    alice.save()

    user = external_identity_sign_in(issuer=ISSUER, subject="s-1", claims=claims,
                                     assignment=_assignment(alice.organisation.slug, "reviewer"))

    assert user.pk != alice.pk and user.username.startswith("alice-")
    assert not user.has_usable_password() and user.first_name == "Alice"
    assert user.organisation == alice.organisation and set(user.groups.values_list("name", flat=True)) == {
        "reviewer"}
    assert ExternalIdentity.objects.get(issuer=ISSUER, subject="s-1").user == user
    assert set(AuditEvent.objects.filter(actor=user).values_list("action", flat=True)) == {
        "auth.oidc.account_create", "auth.oidc.identity_link", "auth.oidc.roles_sync"}


def test_sso_next_sign_in_finds_the_same_account_and_follows_the_map(role_groups, alice, mallory) -> None:  # noqa: ANN001
    first = external_identity_sign_in(issuer=ISSUER, subject="s-2", claims={"preferred_username": "sam"},
                                      assignment=_assignment(alice.organisation.slug, "clinician"))
    client = Client()
    client.force_login(first)
    assert Session.objects.count() == 1

    again = external_identity_sign_in(issuer=ISSUER, subject="s-2", claims={"preferred_username": "renamed"},
                                      assignment=_assignment(mallory.organisation.slug, "clinic_admin"))

    assert again.pk == first.pk and again.username == "sam" and User.objects.filter(username="sam").count() == 1
    again.refresh_from_db()
    assert again.organisation == mallory.organisation and again.is_staff
    assert set(again.groups.values_list("name", flat=True)) == {"clinic_admin"}
    assert Session.objects.count() == 0  # the old role's session ended
    assert AuditEvent.objects.filter(action="auth.credentials_revoke", object_id=str(again.pk)).exists()


def test_sso_same_subject_at_another_issuer_is_another_person(role_groups, alice) -> None:  # noqa: ANN001
    one = external_identity_sign_in(issuer=ISSUER, subject="s-3", claims={},
                                    assignment=_assignment(alice.organisation.slug, "clinician"))
    two = external_identity_sign_in(issuer="https://other.example", subject="s-3", claims={},
                                    assignment=_assignment(alice.organisation.slug, "clinician"))
    assert one.pk != two.pk


def test_sso_unknown_clinic_is_refused_and_creates_nothing(role_groups, alice) -> None:  # noqa: ANN001
    users, events = User.objects.count(), AuditEvent.objects.count()
    with pytest.raises(SignInRefused) as refused:
        external_identity_sign_in(issuer=ISSUER, subject="s-4", claims={},
                                  assignment=_assignment("no-such-clinic", "clinician"))
    assert refused.value.reason == "unknown_clinic"
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)
    assert not ExternalIdentity.objects.exists()


def test_sso_disabled_account_is_refused_and_keeps_its_roles(role_groups, alice) -> None:  # noqa: ANN001
    user = external_identity_sign_in(issuer=ISSUER, subject="s-5", claims={},
                                     assignment=_assignment(alice.organisation.slug, "clinician"))
    user.is_active = False
    user.save()
    with pytest.raises(SignInRefused) as refused:
        external_identity_sign_in(issuer=ISSUER, subject="s-5", claims={},
                                  assignment=_assignment(alice.organisation.slug, "reviewer"))
    assert refused.value.reason == "account_disabled"
    assert set(user.groups.values_list("name", flat=True)) == {"clinician"}


@pytest.mark.django_db
def test_password_login_refused_for_a_clinic_using_sso_only(client: Client, alice, bob) -> None:  # noqa: ANN001
    organisation = alice.organisation
    organisation.local_password_login = False
    organisation.save()

    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Your clinic does not use DermReview passwords" in response.content.decode()
    refused = AuditEvent.objects.get(action="auth.login_refused")
    assert refused.object_id == str(alice.pk) and refused.details["reason"] == "local_password_login_disabled"
    # A wrong password still gets the ordinary message: the policy is only told to whoever knows the password.
    wrong = client.post("/accounts/login/", {"username": "alice", "password": "not the password 42"})
    assert "did not match" in wrong.content.decode()
    assert "does not use DermReview passwords" not in wrong.content.decode()


@pytest.mark.django_db
def test_password_sessions_end_when_the_clinic_turns_passwords_off(client: Client, alice, mallory) -> None:  # noqa: ANN001
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    assert client.get("/cases/").status_code == 200
    alice.organisation.local_password_login = False
    alice.organisation.save()
    assert client.get("/cases/")["Location"].startswith("/accounts/login/")
    # Another clinic's users are not affected.
    other = Client()
    assert other.post("/accounts/login/", {"username": "mallory", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_sso_pages_are_absent_while_single_sign_on_is_off(client: Client) -> None:
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404
    assert 'id="sso-sign-in"' not in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_sso_callback_without_a_started_sign_in_is_refused_and_audited(client: Client, settings) -> None:  # noqa: ANN001
    settings.DERMREVIEW_OIDC_ENABLED = True
    response = client.get("/accounts/oidc/callback/?code=stolen&state=forged")
    assert response.status_code == 403
    assert 'data-reason="state_mismatch"' in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.oidc.refused", details__reason="state_mismatch").count() == 1


def _settings_import(**environ: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dermreview.settings.testing", **environ}
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_sso_settings_stop_start_up_when_incomplete_or_malformed() -> None:
    missing = _settings_import(DERMREVIEW_OIDC_ENABLED="true", DERMREVIEW_OIDC_CLIENT_ID="dermreview")
    assert missing.returncode != 0
    assert ("DERMREVIEW_OIDC_ENABLED=true needs DERMREVIEW_OIDC_ISSUER, DERMREVIEW_OIDC_CLIENT_SECRET, "
            "DERMREVIEW_OIDC_GROUP_MAP") in missing.stderr
    bad_map = _settings_import(DERMREVIEW_OIDC_GROUP_MAP='{"g": {"organisation": "x", "role": "operator"}}')
    assert bad_map.returncode != 0 and "DERMREVIEW_OIDC_GROUP_MAP group 'g': unknown role(s)" in bad_map.stderr
