"""Headers every page carries: the CSP that forbids inline script and style (more in test_csp.py), nosniff, no
framing, no referrer to other sites, no shared browsing context, no geolocation or microphone."""

from __future__ import annotations

import pytest

from dermreview.audit.models import AuditEvent


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client_for, alice) -> None:  # noqa: ANN001
    response = client_for(alice).get("/cases/")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "geolocation=(), microphone=()"


@pytest.mark.django_db
def test_api_responses_and_the_admin_carry_the_same_headers(client_for, alice, admin_client) -> None:  # noqa: ANN001
    for response in (client_for(alice).get("/api/v1/cases/"), admin_client.get("/admin/")):
        assert response.status_code == 200
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Permissions-Policy"] == "geolocation=(), microphone=()"


@pytest.mark.django_db
def test_login_page_carries_the_policy_too(client) -> None:  # noqa: ANN001
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_home_sends_a_logged_in_user_to_the_case_list(client_for, alice) -> None:  # noqa: ANN001
    response = client_for(alice).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/cases/"


@pytest.mark.django_db
def test_behind_proxy_the_audited_login_address_is_the_clients(client, alice, settings) -> None:  # noqa: ANN001
    settings.DERMREVIEW_BEHIND_PROXY = True
    client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple"},
        HTTP_X_REAL_IP="203.0.113.7",
    )

    event = AuditEvent.objects.get(action="auth.login")
    assert event.ip_address == "203.0.113.7"


@pytest.mark.django_db
def test_without_a_proxy_a_forged_real_ip_header_is_ignored(client, alice, settings) -> None:  # noqa: ANN001
    settings.DERMREVIEW_BEHIND_PROXY = False
    client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple"},
        HTTP_X_REAL_IP="203.0.113.7",
    )

    assert AuditEvent.objects.get(action="auth.login").ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_behind_proxy_a_malformed_real_ip_keeps_the_socket_address(client, alice, settings) -> None:  # noqa: ANN001
    settings.DERMREVIEW_BEHIND_PROXY = True
    client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple"},
        HTTP_X_REAL_IP="203.0.113.7, 10.0.0.1",
    )

    assert AuditEvent.objects.get(action="auth.login").ip_address == "127.0.0.1"
