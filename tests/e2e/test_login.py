"""Logging in through a real browser: a wrong password is refused with a message, the lockout page appears
after the failure limit, and the right password then still fails; a colleague logs in and out. Clinicians need no
second factor by default, so the journey stays on the password form (tests/e2e/test_mfa_journey.py covers MFA)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from dermreview.audit.models import AuditEvent
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _submit(page, username: str, password: str) -> None:  # noqa: ANN001
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_login_browser_lockout_then_a_colleague_logs_in_and_out(page, settings, screenshot_dir) -> None:  # noqa: ANN001
    # The role groups come from a data migration, which a transactional test's flush may have removed.
    Group.objects.get_or_create(name="clinician")
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    UserFactory(username="bob", organisation=clinic, roles=["clinician"])
    problems: list[str] = []
    # CSP violations and script errors surface as console errors.
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)

    _submit(page, "alice", "wrong password 1")
    assert page.locator("p.error").inner_text().startswith("Your username and password did not match")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _submit(page, "alice", "wrong password 1")
    assert page.locator("h1").inner_text() == "Too many failed log-ins"
    page.screenshot(path=str(screenshot_dir / "login-locked-out.png"), full_page=True)

    _submit(page, "alice", PASSWORD)
    assert page.locator("h1").inner_text() == "Too many failed log-ins"

    _submit(page, "bob", PASSWORD)
    page.wait_for_url("**/cases/")
    assert "bob" in page.locator(".whoami").inner_text()
    page.click(".whoami button[type=submit]")  # Log out
    page.wait_for_url("**/accounts/login/")

    assert problems == []
    assert AuditEvent.objects.filter(action="auth.login_failed", details__username="alice").count() >= 5
    assert list(AuditEvent.objects.filter(actor__username="bob").order_by("sequence").values_list(
        "action", flat=True)) == ["auth.login", "auth.logout"]
