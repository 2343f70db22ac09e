from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log
from dermreview.drafting.services.queueing import drafting_set_enabled
from dermreview.review.selectors.case_page import case_page
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(clinic, other_clinic, carol, bob, mallory, alice_case):  # noqa: ANN001, ANN201
    return {
        "view": audit_log(action="case.view", actor=bob, obj=alice_case),
        "formula": audit_log(action="case.update", actor=bob, obj=alice_case, details={"note": "=HYPERLINK(1)"}),
        "alarm": audit_log(action="oversight.alarm.acknowledge", actor=carol, organisation=clinic),
        "theirs": audit_log(action="case.view", actor=mallory, organisation=other_clinic, details={"x": "hilltop"}),
    }


def test_audit_browser_filters_by_actor_action_object_case_and_period(client_for, carol, events, alice_case):
    client = client_for(carol)
    url = reverse("oversight:audit")

    def sequences(**params):  # noqa: ANN003, ANN202
        response = client.get(url, params)
        assert response.status_code == 200
        return [e.sequence for e in response.context["page"]]

    everything = sequences()  # also carol's own login event
    assert everything == sorted(everything, reverse=True)
    assert {e.sequence for k, e in events.items() if k != "theirs"} <= set(everything)
    assert events["theirs"].sequence not in everything
    assert sequences(actor="BO") == [events["formula"].sequence, events["view"].sequence]
    assert sequences(action="oversight.") == [events["alarm"].sequence]
    assert sequences(object_type="cases.case", object_id=str(alice_case.pk)) == [
        events["formula"].sequence, events["view"].sequence]
    assert sequences(case=alice_case.pk) == [events["formula"].sequence, events["view"].sequence]
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert sequences(date_from=tomorrow.isoformat()) == []
    response = client.get(url, {"date_from": "2025-05-02", "date_to": "2025-05-01"})
    assert response.status_code == 400 and b"end date is before the start date" in response.content


def test_audit_browser_paginates(client_for, carol, clinic):
    for i in range(55):
        audit_log(action="case.view", actor=carol, organisation=clinic, details={"i": i})
    client = client_for(carol)
    first = client.get(reverse("oversight:audit"), {"action": "case."})
    second = client.get(reverse("oversight:audit"), {"action": "case.", "page": 2})
    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 5
    assert "action=case.&amp;page=2" in first.content.decode()


def test_audit_csv_export_streams_the_filtered_events_and_is_audited(client_for, carol, events, alice_case):
    response = client_for(carol).get(reverse("oversight:audit_export"), {"case": alice_case.pk})
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert response["Content-Type"].startswith("text/csv") and "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["sequence", "created_at", "actor_username", "action"]
    assert [int(r[0]) for r in rows[1:]] == [events["formula"].sequence, events["view"].sequence]
    assert rows[1][8] == '{"note": "=HYPERLINK(1)"}'  # JSON starts with "{": no formula, left as is
    export = AuditEvent.objects.get(action="audit.export_csv")
    assert export.actor == carol and export.details == {"filters": {"case_id": alice_case.pk}, "rows": 2}


def test_audit_csv_export_neutralises_spreadsheet_formulas(client_for, carol, clinic):
    audit_log(action="case.view", actor=carol, organisation=clinic, details={})
    weird = audit_log(action="=cmd|' /C calc'!A0", actor=carol, organisation=clinic)
    body = b"".join(client_for(carol).get(reverse("oversight:audit_export")).streaming_content).decode()
    row = next(r for r in csv.reader(io.StringIO(body)) if r and r[0] == str(weird.sequence))
    assert row[3] == "'=cmd|' /C calc'!A0"


def test_verify_button_reports_an_intact_chain_and_is_audited(client_for, carol, events):
    client = client_for(carol)
    existing = AuditEvent.objects.count()
    response = client.post(reverse("oversight:audit_verify"), follow=True)
    assert b"Audit chain intact" in response.content
    check = AuditEvent.objects.get(action="audit.verify")
    assert check.actor == carol and check.details["ok"] is True and check.details["checked"] == existing


def test_verify_button_reports_a_tampered_event(client_for, carol, events):
    target = events["view"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The append-only trigger refuses UPDATE; lift it inside this test's transaction (rolled back after).
            # ALTER TABLE refuses while deferred foreign-key checks are pending, so run those first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_change")
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["case.nothing_to_see", target.pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_no_change")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    response = client_for(carol).post(reverse("oversight:audit_verify"), follow=True)
    html = response.content.decode()
    assert f"Audit chain BROKEN at event #{target.sequence}" in html and "was altered" in html
    check = AuditEvent.objects.get(action="audit.verify")
    assert check.details["ok"] is False and check.details["first_broken_sequence"] == target.sequence


def _render_history(user, case):  # noqa: ANN001, ANN202
    # The partial reads the case page's data; `case_page` decides who gets the history.
    page = case_page(user=user, case=case)
    return Template('{% include "cases/_audit_history.html" %}').render(Context({"page": page, "case": case}))


def test_case_audit_history_partial_shows_the_cases_events_to_auditors_only(carol, alice, mallory, events, alice_case):
    html = _render_history(carol, alice_case)
    assert "Audit history" in html and "case.update" in html and "oversight.alarm.acknowledge" not in html
    assert f"?case={alice_case.pk}" in html
    assert _render_history(alice, alice_case).strip() == ""
    assert _render_history(mallory, alice_case).strip() == ""


def test_audit_browser_shows_every_clinics_auditor_the_global_kill_switch_and_only_its_own_clinic_switch(
    client_for, carol, adam, oscar, clinic, other_clinic,
):
    drafting_set_enabled(enabled=False, user=oscar, reason="Vendor recall", organisation=None)
    drafting_set_enabled(enabled=False, user=adam, reason="our own pause", organisation=clinic)
    hilltop_auditor = UserFactory(organisation=other_clinic, roles=["auditor"])

    def switch_events(user):  # noqa: ANN001, ANN202
        page = client_for(user).get(reverse("oversight:audit"), {"action": "drafting.kill_switch"}).context["page"]
        return sorted((e.action, e.details["reason"]) for e in page)

    assert switch_events(hilltop_auditor) == [("drafting.kill_switch.global", "Vendor recall")]
    assert switch_events(carol) == [("drafting.kill_switch", "our own pause"),
                                    ("drafting.kill_switch.global", "Vendor recall")]
    export = b"".join(client_for(hilltop_auditor).get(reverse("oversight:audit_export")).streaming_content)
    assert b"drafting.kill_switch.global" in export and b"our own pause" not in export
