"""Logging in: audited success and failure, lockout after repeated failures, session expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from dermreview.audit.models import AuditEvent

PASSWORD = "correct horse battery staple"


def _login(client: Client, username: str, password: str) -> object:
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_login_success_is_audited_with_actor_organisation_and_address(client: Client, alice) -> None:  # noqa: ANN001
    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"  # the home page sends each role to its landing page
    assert client.get("/")["Location"] == "/cases/"  # a clinician's is the case list
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == alice
    assert event.actor_username == "alice"
    assert event.organisation == alice.organisation
    assert event.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_login_failure_is_audited_with_the_username_only(client: Client, alice) -> None:  # noqa: ANN001
    response = _login(client, "alice", "not-the-password-42")

    assert response.status_code == 200
    assert b"did not match" in response.content
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.details == {"username": "alice"}
    # The attempted password never reaches the trail, in any field.
    assert "not-the-password-42" not in str(event.canonical_payload())
    assert not AuditEvent.objects.filter(action="auth.login").exists()


@pytest.mark.django_db
def test_logout_is_audited_and_ends_the_session(client: Client, alice) -> None:  # noqa: ANN001
    _login(client, "alice", PASSWORD)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=alice).count() == 1
    assert client.get("/cases/").status_code == 302


@pytest.mark.django_db
def test_login_lockout_after_the_failure_limit_refuses_even_the_right_password(
    client: Client, alice, settings  # noqa: ANN001
) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5  # DERMREVIEW_LOGIN_FAILURE_LIMIT's default
    for _ in range(limit - 1):
        assert _login(client, "alice", "wrong-password-1").status_code == 200

    locked = _login(client, "alice", "wrong-password-1")

    assert locked.status_code == 429
    assert b"Too many failed log-ins" in locked.content
    refused = _login(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert b"Too many failed log-ins" in refused.content
    assert client.get("/cases/").status_code == 302  # still not logged in
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= limit
    assert not AuditEvent.objects.filter(action="auth.login").exists()


@pytest.mark.django_db
def test_login_lockout_is_per_username_so_a_colleague_can_still_log_in(
    client: Client, alice, bob, settings  # noqa: ANN001
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong-password-1")

    response = _login(client, "bob", PASSWORD)

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor=bob).exists()


@pytest.mark.django_db
def test_login_failures_below_the_limit_are_forgiven_by_a_success(
    client: Client, alice, settings  # noqa: ANN001
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "alice", "wrong-password-1")
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    # AXES_RESET_ON_SUCCESS: the count starts again, one more failure does not lock.
    assert _login(client, "alice", "wrong-password-1").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_login_page_for_a_logged_in_user_goes_to_the_cases(client_for, alice) -> None:  # noqa: ANN001
    client = client_for(alice)
    response = client.get("/accounts/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/cases/"


@pytest.mark.django_db
def test_session_expires_after_idle_time_and_each_request_extends_it(client: Client, alice) -> None:  # noqa: ANN001
    _login(client, "alice", PASSWORD)
    session = Session.objects.get()
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=1))

    assert client.get("/cases/").status_code == 200
    # SESSION_SAVE_EVERY_REQUEST: activity pushes the expiry a full session age ahead.
    refreshed = Session.objects.get(pk=session.pk).expire_date
    assert refreshed > timezone.now() + timedelta(hours=7)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_session_cookie_is_a_browser_session_cookie(client: Client, alice) -> None:  # noqa: ANN001
    response = _login(client, "alice", PASSWORD)

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # SESSION_EXPIRE_AT_BROWSER_CLOSE: no persistent cookie
    assert cookie["expires"] == ""


@pytest.mark.django_db
def test_password_reset_by_email_is_not_offered(client: Client) -> None:
    # Administrators reset passwords; there is no mailbox path into patient data.
    assert client.get("/accounts/password_reset/").status_code in (302, 404)
    assert b"password_reset" not in client.get("/accounts/login/").content


@pytest.mark.django_db
def test_password_change_requires_the_old_password_and_is_audited(client_for, alice) -> None:  # noqa: ANN001
    client = client_for(alice)
    new = "a much longer new passphrase 7"

    wrong = client.post("/accounts/password/", {"old_password": "nope", "new_password1": new, "new_password2": new})
    assert wrong.status_code == 200
    assert not AuditEvent.objects.filter(action="auth.password_change").exists()

    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert AuditEvent.objects.filter(action="auth.password_change", actor=alice).count() == 1
    assert client.get("/accounts/password/done/").status_code == 200  # still logged in after the change


@pytest.mark.django_db
def test_password_change_revokes_the_api_token(client_for, alice) -> None:  # noqa: ANN001
    from dermreview.api.models import ApiToken
    from tests.factories import api_key_for

    key = api_key_for(alice)
    client = client_for(alice)
    new = "a much longer new passphrase 7"
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})

    assert not ApiToken.objects.filter(user=alice).exists()
    client.logout()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert AuditEvent.objects.filter(action="api.token.revoke", actor=alice).exists()
