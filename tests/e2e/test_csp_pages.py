"""Pages we did not write, under the strict Content-Security-Policy: the Swagger UI of the API docs and the
Django admin render, in a real browser, without a single CSP violation (and without any script error)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script (Playwright injects it outside the page's CSP): every violation the browser reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


def _watch(page: Any) -> list[str]:
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _violations(page: Any) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_csp_swagger_ui_renders_the_api_with_no_violation(page: Any, login: Any, screenshot_dir: Any) -> None:
    Group.objects.get_or_create(name="reviewer")
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    reviewer = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    login(reviewer)
    errors = _watch(page)

    response = page.goto("/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Rendered by Swagger UI's own script from the schema it fetched: the title and the operations.
    page.locator(".swagger-ui .info .title").wait_for()
    assert "DermReview API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-tag-section").first.wait_for()
    page.locator(".opblock-summary").first.click()  # open one operation: more of the UI's styles and scripts
    page.locator(".opblock-body").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "api-docs-under-csp.png"), full_page=False)

    assert _violations(page) == []
    assert errors == []
    # The watch itself works: an inline style added now is refused and reported.
    page.evaluate("document.head.appendChild(document.createElement('style')).textContent = 'body {}'")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert _violations(page)[0].startswith("style-src")


def test_csp_django_admin_pages_have_no_violation(page: Any, login: Any) -> None:
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    operator = UserFactory(username="root", organisation=clinic, roles=["admin"])
    login(operator)
    errors = _watch(page)

    # The index, change lists with filters and actions, a form with Django's script-driven widgets (the slug
    # prepopulated from the name), our list of authenticators.
    for path in ("/admin/", "/admin/audit/auditevent/", "/admin/accounts/organisation/add/",
                 "/admin/otp_totp/totpdevice/"):
        response = page.goto(path)
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert _violations(page) == [], path

    assert errors == []
