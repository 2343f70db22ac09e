"""axe-core on every main page, as the persona who uses it, at desktop and phone sizes: no serious or critical
violation (contrast, names of controls, landmarks, ARIA). axe-core ships inside axe-playwright-python."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from dermreview.review.services.ungradable import image_mark_ungradable
from tests.dermreview.review.review_helpers import claim, ready_case, sign
from tests.factories import OrganisationFactory, UserFactory
from tests.mfa import authenticator_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}
PASSWORD = "correct horse battery staple"


# Swagger UI's own widget (drf-spectacular-sidecar's swagger-ui-dist) fails colour contrast and nests buttons in
# its operation summaries; that markup is a third-party bundle. The docs page's own header, nav and main are scanned.
THIRD_PARTY = {"exclude": [["#swagger-ui"]]}


# Violations in templates owned elsewhere this round, allowed by (page, rule) until fixed there; remove an entry
# when its template is fixed. templates/review/queue.html: the filter selects (#id_status, #id_body_site,
# #id_age) have no label (fix: wrap each in <label>Status {{ filter_form.status }}</label>, as cases/case_list.html).
KNOWN_ELSEWHERE: set[tuple[str, str]] = set()  # (page, axe rule) pairs allowed through; none today


def _violations(page: Any, name: str) -> list[str]:
    """Scan the current page at each size; one line per blocking violation and the elements it hits."""
    from axe_playwright_python.sync_playwright import Axe

    found: list[str] = []
    context = THIRD_PARTY if page.locator("#swagger-ui").count() else None
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        results = Axe().run(page, context=context).response
        for violation in results["violations"]:
            if violation["impact"] in BLOCKING and (name, violation["id"]) not in KNOWN_ELSEWHERE:
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
                found.append(f"{name} [{size}] {violation['impact']} {violation['id']}: {targets}")
    return found


def _scan(page: Any, pages: dict[str, str]) -> list[str]:
    found: list[str] = []
    for name, url in pages.items():
        response = page.goto(url)
        assert response is not None and response.status < 400, f"{name}: {url} answered {response and response.status}"
        page.wait_for_load_state("networkidle")
        found += _violations(page, name)
    return found


def _clinic() -> Any:
    for role in ("clinician", "reviewer", "auditor"):
        Group.objects.get_or_create(name=role)
    return OrganisationFactory(name="Riverside Dermatology", slug="riverside")


def test_accessibility_clinician_pages(page: Any, login: Any) -> None:
    clinic = _clinic()
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    bob = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    signed = ready_case(alice, patient_ref="A11Y-SIGNED")
    sign(signed, bob)
    photo = ready_case(alice, patient_ref="A11Y-PHOTO")
    image_mark_ungradable(image=photo.images.get(), reviewer=bob, reason="blur")
    found = _scan(page, {"login": "/accounts/login/"})
    login(alice)
    found += _scan(page, {
        "cases list": "/cases/", "cases needing action": "/cases/?needs_action=1",
        "case detail (final)": f"/cases/{signed.pk}/", "case detail (new photo)": f"/cases/{photo.pk}/",
        "case form": "/cases/new/", "notifications": "/review/notifications/", "API docs": "/api/v1/docs/",
    })
    assert found == [], "\n".join(found)


def test_accessibility_reviewer_pages(page: Any, login: Any) -> None:
    clinic = _clinic()
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    bob = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    dave = UserFactory(username="dave", organisation=clinic, roles=["reviewer"])
    waiting = ready_case(alice, patient_ref="A11Y-WAIT")
    claimed = claim(ready_case(alice, patient_ref="A11Y-CLAIMED"), bob)
    result = sign(ready_case(alice, patient_ref="A11Y-DONE"), dave)
    login(bob)
    found = _scan(page, {
        "review queue": "/review/", "review page (not claimed)": f"/review/cases/{waiting.pk}/",
        "review page (claimed)": f"/review/cases/{claimed.pk}/", "result page": f"/review/reviews/{result.pk}/",
    })
    assert found == [], "\n".join(found)


def test_accessibility_auditor_pages(page: Any, login: Any) -> None:
    clinic = _clinic()
    carol = UserFactory(username="carol", organisation=clinic, roles=["auditor"])
    login(carol)
    found = _scan(page, {
        "oversight dashboard": "/oversight/", "alarms": "/oversight/alarms/", "audit": "/oversight/audit/",
        "governance": "/oversight/governance/", "export": "/oversight/export/", "accuracy": "/oversight/accuracy/",
    })
    assert found == [], "\n".join(found)


def test_accessibility_mfa_pages(page: Any) -> None:
    clinic = _clinic()
    UserFactory(username="eve", organisation=clinic, roles=["reviewer"])
    authenticator_for(UserFactory(username="frank", organisation=clinic, roles=["reviewer"]))
    found: list[str] = []
    for username, step in (("eve", "/accounts/mfa/enrol/"), ("frank", "/accounts/mfa/verify/")):
        page.context.clear_cookies()
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**{step}**")
        found += _violations(page, f"MFA {step}")
    assert found == [], "\n".join(found)
