"""An auditor's oversight round in the browser: model card and charts, an alarm acknowledged, the chain verified."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.oversight.models import Alarm, AlarmStatus
from dermreview.oversight.services.alarms import alarms_evaluate
from tests.dermreview.oversight.conftest import bulk_reviews, bulk_scores
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIELDS = ("lesion_type", "color", "symmetry", "borders", "texture", "summary")


def test_oversight_journey_auditor_reads_card_acknowledges_alarm_and_verifies_chain(page, login, screenshot_dir):
    # Transactional tests flush the role groups the migration created: put them back.
    for role in ("clinician", "reviewer", "auditor"):
        Group.objects.get_or_create(name=role)
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    carol = UserFactory(username="carol", organisation=clinic, roles=["auditor"])
    rita = UserFactory(username="rita", organisation=clinic, roles=["reviewer"])
    # Sixty sign-offs over about nine weeks, every one accepted unchanged in five seconds.
    reviews = bulk_reviews(organisation=clinic, reviewer=rita, count=60, time_on_task_ms=5_000,
                           signed_at=lambda i: timezone.now() - timedelta(days=60 - i))
    for n, field in enumerate(FIELDS):
        bulk_scores(reviews, field=field, f1=lambda i, n=n: 0.82 + ((i * 7 + n) % 18) / 100)
    alarm = alarms_evaluate(organisation_id=clinic.pk).opened[0]

    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    login(carol)  # auditors land on Oversight; the charts are counted from the visit below
    page.wait_for_load_state("networkidle")
    svg_responses = []
    page.on("response", lambda r: svg_responses.append(r) if "/oversight/charts/" in r.url else None)
    page.get_by_role("link", name="Oversight").click()
    page.wait_for_url("**/oversight/")
    page.wait_for_load_state("networkidle")

    card = page.locator("table.model-card").first
    assert card.locator("tr[data-field=lesion_type] td").first.inner_text() == "60"
    assert "0.9361" in card.inner_text()  # the published figure beside ours
    for chart_id in ("#chart-weekly", "#chart-distribution", "#chart-acceptance"):
        img = page.locator(chart_id)
        assert img.get_attribute("alt")
        assert img.evaluate("el => el.complete && el.naturalWidth") > 0, f"{chart_id} did not render"
    assert len(svg_responses) == 3
    for response in svg_responses:
        assert response.status == 200 and response.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in response.body()

    item = page.locator(f"#alarm-{alarm.pk}")
    assert "Possible rubber-stamping" in item.inner_text() and "rita" in item.inner_text()
    page.screenshot(path=str(screenshot_dir / "oversight-dashboard.png"), full_page=True)
    item.locator(f"#ack-note-{alarm.pk}").fill("Reviewed ten of Rita's cases with her; findings sound, pace explained.")
    item.get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector(".messages .msg-success")
    assert "Alarm acknowledged" in page.locator(".messages").inner_text()
    assert "Acknowledged by carol" in page.locator(f"#alarm-{alarm.pk}").inner_text()
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED and alarm.acknowledged_by == carol

    page.get_by_role("link", name="Audit trail").click()
    page.wait_for_url("**/oversight/audit/")
    assert "oversight.alarm.acknowledge" in page.locator("table.audit-events").inner_text()
    page.locator("#verify-chain").click()
    page.wait_for_selector(".messages .msg-success")
    assert "intact" in page.locator(".messages").inner_text()
    page.screenshot(path=str(screenshot_dir / "oversight-audit-verified.png"), full_page=True)

    assert AuditEvent.objects.filter(action="audit.verify", actor=carol, details__ok=True).exists()
    assert Alarm.objects.get(pk=alarm.pk).note.startswith("Reviewed ten")
    assert problems == []
