"""The clinic's follow-ups (`/patients/follow-up/`): due in the next 30 days, and overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dermreview.lesions.selectors.follow_up import follow_up_page
from tests.dermreview.lesions.patient_helpers import lesion_of, patient_of, signed_visit, visit
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db
URL = reverse("lesions:follow_up")


def _in(days: int):  # noqa: ANN202
    return timezone.localdate() + timedelta(days=days)


def test_due_and_overdue_tabs(client_for, alice, bob):
    patient = patient_of(alice)
    soon = lesion_of(patient, label="L1")
    signed_visit(soon, alice, bob, plan="monitor", follow_up_on=_in(10), days_ago=80)
    late = lesion_of(patient, label="L2")
    last = signed_visit(late, alice, bob, plan="monitor", follow_up_on=_in(-5), days_ago=100)
    later = lesion_of(patient, label="L3")
    signed_visit(later, alice, bob, plan="monitor", follow_up_on=_in(90), days_ago=1)  # not due within 30 days
    client = client_for(alice)
    due = client.get(URL)
    html = due.content.decode()
    assert due.status_code == 200 and [r.lesion_id for r in due.context["page"].rows] == [soon.pk]
    assert "Due in the next 30 days (1)" in html and "Overdue (1)" in html and "10 days" in html
    overdue = client.get(URL + "?tab=overdue")
    rows = overdue.context["page"].rows
    assert [(r.lesion_id, r.days, r.case_id, r.patient_ref) for r in rows] == [(late.pk, 5, last.pk, "PT-MAP-1")]
    assert 'id="nav-follow-up"' in html


def test_a_later_visit_or_another_plan_takes_the_lesion_off(alice, bob):
    patient = patient_of(alice)
    seen = lesion_of(patient, label="L1")
    signed_visit(seen, alice, bob, plan="monitor", follow_up_on=_in(-3), days_ago=100)
    visit(seen, alice, days_ago=1)  # the follow-up visit happened: done
    discharged = lesion_of(patient, label="L2")
    signed_visit(discharged, alice, bob, plan="discharge", days_ago=50)
    pending = lesion_of(patient, label="L3")  # monitor signed, then the case is amended to biopsy (round 1, v2)
    case = signed_visit(pending, alice, bob, plan="monitor", follow_up_on=_in(5), days_ago=20)
    old = case.reviews.get()
    old.voided_at = timezone.now()
    old.save()
    ReviewFactory(case=case, reviewer=bob, version=2, management_plan="biopsy", supersedes=old)
    page = follow_up_page(user=alice, tab="overdue", today=timezone.localdate())
    assert page.rows == () and page.due_count == 0 and page.overdue_count == 0


def test_another_clinic_sees_none_of_it_and_only_clinical_roles_may_open_it(client_for, alice, bob, mallory, adam):
    signed_visit(lesion_of(patient_of(alice)), alice, bob, plan="monitor", follow_up_on=_in(3), days_ago=80)
    page = client_for(mallory).get(URL).context["page"]
    assert page.rows == () and page.due_count == 0
    assert client_for(bob).get(URL).status_code == 200
    assert client_for(adam).get(URL).status_code == 403


def test_the_list_reads_a_fixed_number_of_queries(client_for, alice, bob):
    patient = patient_of(alice)
    signed_visit(lesion_of(patient, label="L0"), alice, bob, plan="monitor", follow_up_on=_in(2), days_ago=90)
    client = client_for(alice)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(1, 11):
        signed_visit(lesion_of(patient, label=f"L{n}"), alice, bob, plan="monitor", follow_up_on=_in(n), days_ago=90)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.context["page"].rows) == 11 and len(many) == len(few)
