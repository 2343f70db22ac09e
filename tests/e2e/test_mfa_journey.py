"""Two-factor authentication in a real browser: a reviewer's first log-in enrols an authenticator (the test reads
the key off the page and computes codes as a phone would), sees the recovery codes once, logs out, and the next
log-in asks for a code."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from dermreview.audit.models import AuditEvent
from tests.factories import OrganisationFactory, UserFactory
from tests.mfa import totp_code, totp_code_for_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _password_step(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)


def _key_from_page(page: Any) -> bytes:
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def test_mfa_journey_reviewer_enrols_saves_codes_logs_out_and_logs_in_with_a_code(page, screenshot_dir) -> None:  # noqa: ANN001
    Group.objects.get_or_create(name="reviewer")
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    bob = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    errors: list[str] = []  # CSP violations and script errors surface as console errors
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)

    _password_step(page, "bob")
    page.wait_for_url("**/accounts/mfa/enrol/**")
    page.goto("/review/")  # nothing else opens before enrolment
    assert "/accounts/mfa/enrol/" in page.url
    assert page.locator(".mfa-qr svg").is_visible()
    page.screenshot(path=str(screenshot_dir / "mfa-enrol.png"), full_page=True)

    page.fill("#id_code", totp_code_for_key(_key_from_page(page)))
    page.click("main button[type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    page.click("text=I have saved them")
    page.wait_for_url("**/review/")

    page.click(".whoami button[type=submit]")  # Log out
    page.wait_for_url("**/accounts/login/")
    _password_step(page, "bob")
    page.wait_for_url("**/accounts/mfa/verify/**")
    assert page.locator("#recovery-codes").count() == 0  # shown once, at enrolment only
    page.fill("#id_code", totp_code(TOTPDevice.objects.get(user=bob, confirmed=True)))
    page.click("main button[type=submit]")
    page.wait_for_url("**/review/")  # a reviewer lands on the review queue
    assert "bob" in page.locator(".whoami").inner_text()

    assert errors == []
    assert list(AuditEvent.objects.filter(actor=bob).order_by("sequence").values_list("action", flat=True)) == [
        "auth.login", "auth.mfa.enrol", "auth.logout", "auth.login", "auth.mfa.verify",
    ]
