"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (installed by .ci/run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.mfa import authenticator_for, has_second_factor, totp_code

if TYPE_CHECKING:
    from tests.e2e.journeys import People

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test body are still
# synchronous and safe, so tell Django not to refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = os.environ.get("DERMREVIEW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def login(page):  # noqa: ANN001, ANN201
    """`login(user)` logs the browser in through the real login form and, where the user has or needs a second
    factor, the real code form: users whose role requires one are given an authenticator first (the enrolment
    journey itself is tests/e2e/test_mfa_journey.py), and the code is computed from its key like a phone would."""

    def do_login(user) -> None:  # noqa: ANN001
        device = authenticator_for(user) if has_second_factor(user) else None
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        if device is not None:
            enter_code(page, totp_code(device))

    return do_login


def enter_code(page, code: str) -> None:  # noqa: ANN001
    """On the second-factor page: type the code and wait to be let through."""
    page.wait_for_url(lambda url: "/accounts/mfa/verify/" in url)
    page.fill("#id_code", code)
    page.click("main button[type=submit]")  # not the header's "Log out"
    page.wait_for_url(lambda url: "/accounts/mfa/" not in url)


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Screenshots land under var/screenshots (kept after the run) and the test's tmp dir."""
    target = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def people(transactional_db: None) -> People:
    """alice (clinician), bob, dave and erin (reviewers) and carol (auditor) of one clinic: tests/e2e/journeys.py."""
    from tests.e2e.journeys import clinic_people

    return clinic_people()
