"""Two-factor authentication in the browser pages: enrolment, the code at log-in, recovery codes, who is asked.

Every log-in here goes through the real password form (`password_login`), never force_login: the session has
passed no second factor until the test enters a code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dermreview.accounts.mfa.services import mfa_enrolment_confirm, mfa_enrolment_start
from dermreview.audit.models import AuditEvent
from tests.mfa import authenticator_for, password_login, totp_code, wrong_code

pytestmark = pytest.mark.django_db

ENROL, VERIFY = "/accounts/mfa/enrol/", "/accounts/mfa/verify/"


def _enrolled(user: Any) -> tuple[TOTPDevice, list[str]]:
    """An authenticator confirmed the way the enrolment page does it, with its recovery codes."""
    device = mfa_enrolment_start(user=user)
    return mfa_enrolment_confirm(user=user, code=totp_code(device))


def _later(user: Any) -> None:
    """A minute passes: the 1, 2, 4... seconds django-otp makes a guesser wait after a wrong code are over."""
    past = timezone.now() - timedelta(minutes=1)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).exclude(throttling_failure_timestamp=None).update(
            throttling_failure_timestamp=past)


def _actions(user: Any) -> list[str]:
    events = AuditEvent.objects.filter(action__startswith="auth.mfa.", object_id=str(user.pk)).order_by("sequence")
    return list(events.values_list("action", flat=True))


def test_mfa_reviewer_without_authenticator_must_enrol_and_reaches_nothing_else(client, bob, alice_case) -> None:  # noqa: ANN001
    assert password_login(client, bob)["Location"] == "/"  # LOGIN_REDIRECT_URL: the home page routes by role

    for url in ("/cases/", f"/cases/{alice_case.pk}/", "/review/", "/accounts/password/", "/accounts/mfa/",
                "/api/v1/docs/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{ENROL}?next="), (url, response["Location"])
    api = client.get("/api/v1/cases/")
    assert api.status_code == 403 and api.json()["error"] == "mfa_required"
    assert client.get(VERIFY)["Location"].startswith(ENROL)  # nothing to verify with yet
    assert client.get("/healthz").status_code == 200
    assert client.get(ENROL).status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_mfa_enrolment_shows_qr_and_key_and_refuses_a_wrong_code(client, bob) -> None:  # noqa: ANN001
    password_login(client, bob)
    page = client.get(f"{ENROL}?next=/review/")
    device = TOTPDevice.objects.get(user=bob)
    assert not device.confirmed
    body = page.content.decode()
    assert "<svg" in body and 'id="mfa-secret"' in body and " style=" not in body
    assert client.get(ENROL).context["secret"] == page.context["secret"]  # a reload keeps the key just scanned

    refused = client.post(ENROL, {"code": wrong_code(device), "next": "/review/"})

    assert refused.status_code == 200
    assert "does not match" in refused.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert not StaticToken.objects.exists()
    assert client.get("/review/")["Location"].startswith(ENROL)
    failed = AuditEvent.objects.get(action="auth.mfa.failed")
    assert failed.actor == bob and failed.details == {"stage": "enrolment", "channel": "web", "reason": "wrong_code"}


def test_mfa_enrolment_with_the_right_code_shows_ten_recovery_codes_once(client, bob) -> None:  # noqa: ANN001
    password_login(client, bob)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=bob)

    done = client.post(ENROL, {"code": totp_code(device), "next": "/review/"})

    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    codes = done.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert sorted(StaticToken.objects.filter(device__user=bob).values_list("token", flat=True)) == sorted(codes)
    assert all(code in done.content.decode() for code in codes)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/review/").status_code == 200  # verified: the queue opens
    overview = client.get("/accounts/mfa/").content.decode()
    assert "Recovery codes left" in overview and not any(code in overview for code in codes)
    assert _actions(bob) == ["auth.mfa.enrol"]


def test_mfa_next_login_asks_for_a_code_and_lets_the_current_one_through(client, bob) -> None:  # noqa: ANN001
    device, _ = _enrolled(bob)
    password_login(client, bob, next="/review/")
    assert client.get("/review/")["Location"] == f"{VERIFY}?next=%2Freview%2F"
    assert client.get(ENROL)["Location"].startswith(VERIFY)  # the password alone cannot swap the authenticator

    wrong = client.post(VERIFY, {"code": wrong_code(device), "next": "/review/"})
    assert wrong.status_code == 200 and "not valid" in wrong.content.decode()
    _later(bob)
    key_before = client.session.session_key
    ok = client.post(VERIFY, {"code": totp_code(device), "next": "/review/"})

    assert ok["Location"] == "/review/"
    assert client.session.session_key != key_before  # a new session key at the second factor
    assert client.get("/review/").status_code == 200
    assert _actions(bob) == ["auth.mfa.enrol", "auth.mfa.failed", "auth.mfa.verify"]
    assert AuditEvent.objects.get(action="auth.mfa.verify").details == {"method": "totp", "channel": "web"}


def test_mfa_a_recovery_code_works_once(bob) -> None:  # noqa: ANN001
    _, codes = _enrolled(bob)
    first = Client()
    password_login(first, bob)
    used = first.post(VERIFY, {"code": f" {codes[3][:4].upper()}-{codes[3][4:]} "})  # as people type them
    assert used["Location"] == "/"
    assert first.get("/cases/").status_code == 200
    event = AuditEvent.objects.get(action="auth.mfa.recovery_code_used")
    assert event.actor == bob and event.details == {"channel": "web", "recovery_codes_left": 9}

    second = Client()
    password_login(second, bob)
    again = second.post(VERIFY, {"code": codes[3]})
    assert again.status_code == 200 and "not valid" in again.content.decode()
    assert second.get("/cases/")["Location"].startswith(VERIFY)
    _later(bob)
    assert second.post(VERIFY, {"code": codes[4]})["Location"] == "/"


def test_mfa_quick_guesses_are_throttled_even_the_right_code(client, bob) -> None:  # noqa: ANN001
    device, _ = _enrolled(bob)
    password_login(client, bob)
    client.post(VERIFY, {"code": wrong_code(device)})

    throttled = client.post(VERIFY, {"code": totp_code(device)})

    assert "Too many wrong codes" in throttled.content.decode()
    assert client.get("/cases/")["Location"].startswith(VERIFY)
    reasons = [e.details["reason"] for e in AuditEvent.objects.filter(action="auth.mfa.failed").order_by("sequence")]
    assert reasons == ["wrong_code", "throttled"]


def test_mfa_clinician_is_not_asked_unless_they_enrolled(client, alice) -> None:  # noqa: ANN001
    password_login(client, alice)
    assert client.get("/cases/").status_code == 200
    assert not TOTPDevice.objects.exists()
    client.post("/accounts/logout/")

    authenticator_for(alice)  # enrolled by choice: then asked like everyone else
    password_login(client, alice)
    assert client.get("/cases/")["Location"].startswith(VERIFY)


@pytest.mark.parametrize("roles", [["auditor"], ["clinic_admin"], ["operator"]])
def test_mfa_auditors_clinic_admins_and_operators_must_enrol(client, clinic, user_factory, roles) -> None:  # noqa: ANN001
    user = user_factory(organisation=clinic, roles=roles)
    password_login(client, user)
    assert client.get("/cases/")["Location"].startswith(ENROL)


def test_mfa_required_roles_come_from_the_setting(client, bob, carol, settings) -> None:  # noqa: ANN001
    settings.DERMREVIEW_MFA_REQUIRED_ROLES = ["auditor"]
    password_login(client, bob)
    assert client.get("/cases/").status_code == 200
    client.post("/accounts/logout/")
    password_login(client, carol)
    assert client.get("/cases/")["Location"].startswith(ENROL)


def test_mfa_next_leads_only_to_this_site(client, bob) -> None:  # noqa: ANN001
    device, _ = _enrolled(bob)
    password_login(client, bob)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"  # never the foreign site: the default landing instead


def test_mfa_new_recovery_codes_replace_the_old_ones(client_for, bob) -> None:  # noqa: ANN001
    _, old = _enrolled(bob)
    client = client_for(bob)

    page = client.post("/accounts/mfa/recovery-codes/")

    new = page.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=bob).values_list("token", flat=True)) == set(new)
    assert client.get("/cases/").status_code == 200
    assert _actions(bob)[-1] == "auth.mfa.recovery_codes_regenerate"


def test_mfa_a_verified_user_may_replace_their_authenticator(client, bob) -> None:  # noqa: ANN001
    old, _ = _enrolled(bob)
    password_login(client, bob)
    _later(bob)
    client.post(VERIFY, {"code": totp_code(old)})
    assert client.get(ENROL).context["replace"] is True
    new = TOTPDevice.objects.get(user=bob, confirmed=False)

    client.post(ENROL, {"code": totp_code(new)})

    assert list(TOTPDevice.objects.filter(user=bob).values_list("pk", "confirmed")) == [(new.pk, True)]
    assert client.get("/cases/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa.enrol").latest("sequence").details == {
        "method": "totp", "replaced": True}
