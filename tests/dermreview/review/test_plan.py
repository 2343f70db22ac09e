"""The management plan and the change since the previous visit: when they are required, what they may say, and where
they show (review/services/plan.py through the sign-off service, the review page and the API)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import BodySite, Case, CaseStatus, Lesion, Patient
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.errors import ReviewInvalid
from dermreview.review.forms import opened_token
from dermreview.review.models import Review
from dermreview.review.services.plan import PlanInput, add_months
from dermreview.review.services.signoff import review_amend, review_sign
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, claim, first_draft, ready_case
from tests.factories import api_key_for

pytestmark = pytest.mark.django_db


def _lesion(owner: Any) -> Lesion:
    patient = Patient.objects.create(organisation=owner.organisation, reference="PT-PLAN-1")
    return Lesion.objects.create(patient=patient, body_site=BodySite.BACK, label="L1")


def _sign(case: Case, reviewer: Any, plan: PlanInput | None, fields: dict[str, str] = NEVUS) -> Review:
    claim(case, reviewer)
    return review_sign(case=case, reviewer=reviewer, fields=fields, confirmed_fields=FINDING_FIELDS,
                       draft=first_draft(case), expected_lock_version=case.lock_version, attestation=True, plan=plan)


def _refused(case: Case, reviewer: Any, plan: PlanInput | None, fields: dict[str, str] = NEVUS) -> dict[str, str]:
    with pytest.raises(ReviewInvalid) as caught:
        _sign(case, reviewer, plan, fields)
    assert not Review.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
    return caught.value.errors


def _in(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def test_plan_is_required_at_the_signoff_that_makes_the_case_final(alice, bob):
    errors = _refused(ready_case(alice), bob, None)
    assert errors == {"management_plan": "Choose a management plan: this sign-off makes the finding final."}


def test_plan_is_optional_at_a_high_risk_first_review_and_required_at_the_final_second(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    first = _sign(case, bob, None, MELANOMA)
    assert first.management_plan == "" and Case.objects.get(pk=case.pk).status == CaseStatus.NEEDS_SECOND_REVIEW
    claim(case, dave)
    with pytest.raises(ReviewInvalid) as caught:
        review_sign(case=case, reviewer=dave, fields=MELANOMA, confirmed_fields=FINDING_FIELDS,
                    draft=first_draft(case), expected_lock_version=case.lock_version, attestation=True)
    assert set(caught.value.errors) == {"management_plan"}
    case.refresh_from_db()
    second = review_sign(case=case, reviewer=dave, fields=MELANOMA, confirmed_fields=FINDING_FIELDS,
                         draft=first_draft(case), expected_lock_version=case.lock_version, attestation=True,
                         plan=PlanInput(management_plan="urgent_referral"))
    assert second.management_plan == "urgent_referral" and second.follow_up_on is None
    assert Case.objects.get(pk=case.pk).status == CaseStatus.FINAL


def test_monitor_is_stored_with_its_date_and_audited(alice, bob):
    case = ready_case(alice)
    due = add_months(timezone.localdate(), 3)
    review = _sign(case, bob, PlanInput(management_plan="monitor", follow_up_on=due))
    review.refresh_from_db()
    assert (review.management_plan, review.follow_up_on, review.change_since_previous) == ("monitor", due, "new")
    event = AuditEvent.objects.get(action="review.sign", object_id=str(review.pk))
    assert event.details["plan"] == {"management_plan": "monitor", "follow_up_on": due.isoformat(),
                                     "change_since_previous": "new", "change_aspects": []}


@pytest.mark.parametrize(("plan", "message"), [
    (PlanInput(management_plan="monitor"), "Monitoring needs a follow-up date: 3, 6 or 12 months, or a date."),
    (PlanInput(management_plan="monitor", follow_up_on=_in(0)), "The follow-up date must be in the future."),
    (PlanInput(management_plan="monitor", follow_up_on=_in(-3)), "The follow-up date must be in the future."),
    (PlanInput(management_plan="monitor", follow_up_on=_in(6 * 366)), "The follow-up date must be within 5 years."),
    (PlanInput(management_plan="discharge", follow_up_on=_in(90)), "A follow-up date goes with \u201cMonitor\u201d only."),
])
def test_follow_up_date_rules(alice, bob, plan, message):
    assert _refused(ready_case(alice), bob, plan) == {"follow_up_on": message}


def test_unknown_plan_is_refused(alice, bob):
    assert _refused(ready_case(alice), bob, PlanInput(management_plan="wait"))["management_plan"] == (
        "Unknown management plan 'wait'.")


def test_first_visit_cannot_be_stable_or_changed(alice, bob):
    errors = _refused(ready_case(alice), bob, PlanInput(management_plan="discharge", change_since_previous="stable"))
    assert errors == {"change_since_previous": "This is the lesion's first visit: there is no earlier visit to compare."}


def test_follow_up_visit_needs_the_change_and_changed_needs_what(alice, bob):
    lesion = _lesion(alice)
    ready_case(alice, lesion=lesion, patient=lesion.patient)
    visit = ready_case(alice, lesion=lesion, patient=lesion.patient)
    discharge = PlanInput(management_plan="discharge")
    assert _refused(visit, bob, discharge) == {
        "change_since_previous": "Record the change since the previous visit of this lesion."}
    new = PlanInput(management_plan="discharge", change_since_previous="new")
    assert "earlier visit" in _refused(visit, bob, new)["change_since_previous"]
    changed = PlanInput(management_plan="discharge", change_since_previous="changed")
    assert _refused(visit, bob, changed) == {"change_aspects": "Say what changed: size, colour, shape or symptoms."}
    stable_size = PlanInput(management_plan="discharge", change_since_previous="stable", change_aspects=("size",))
    assert _refused(visit, bob, stable_size) == {"change_aspects": "What changed goes with \u201cChanged\u201d only."}
    review = _sign(visit, bob, PlanInput(management_plan="biopsy", change_since_previous="changed",
                                         change_aspects=("shape", "size", "size")))
    assert review.change_since_previous == "changed" and review.change_aspects == ["size", "shape"]


def test_amendment_carries_the_plan_over(alice, bob, dave):
    case = ready_case(alice)
    due = _in(100)
    original = _sign(case, bob, PlanInput(management_plan="monitor", follow_up_on=due))
    case.refresh_from_db()
    claim(case, dave)
    amended = review_amend(review=original, reviewer=dave, fields={**NEVUS, "summary": "Benign naevus, amended."},
                           reason="Typo", expected_lock_version=case.lock_version, attestation=True)
    assert (amended.management_plan, amended.follow_up_on, amended.change_since_previous) == ("monitor", due, "new")


def _sign_form(case: Case, **plan: Any) -> dict[str, Any]:
    draft = first_draft(case)
    return {**draft.finding_fields(), "draft_id": draft.pk, "lock_version": case.lock_version,
            "opened": opened_token(case_id=case.pk), "action": "sign", "attestation": "on",
            **{f"confirm_{name}": "on" for name in FINDING_FIELDS}, **plan}


def test_review_page_refuses_a_final_signoff_without_a_plan_and_keeps_the_input(client_for, alice, bob):
    case = claim(ready_case(alice), bob)
    client = client_for(bob)
    page = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert 'id="plan-fields"' in page and "Reassure and discharge" in page and 'id="follow-up-3m"' in page
    assert 'id="previous-visit"' not in page  # a first visit
    response = client.post(reverse("review:case", args=[case.pk]), _sign_form(case))
    assert response.status_code == 400
    assert "Choose a management plan: this sign-off makes the finding final." in response.content.decode()
    due = add_months(timezone.localdate(), 6)
    response = client.post(reverse("review:case", args=[case.pk]),
                           _sign_form(case, management_plan="monitor", follow_up_on=due.isoformat()))
    assert response.status_code == 302
    review = Review.objects.get(case=case)
    assert (review.management_plan, review.follow_up_on) == ("monitor", due)
    result = client.get(reverse("review:result", args=[review.pk])).content.decode()
    assert "Monitor: follow-up visit, follow-up visit due " + due.isoformat() in result
    case_page = client_for(alice).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="case-plan"' in case_page and due.isoformat() in case_page


def test_follow_up_review_page_shows_the_previous_visit_one_click_away(client_for, alice, bob):
    lesion = _lesion(alice)
    earlier = ready_case(alice, lesion=lesion, patient=lesion.patient)
    _sign(earlier, bob, PlanInput(management_plan="monitor", follow_up_on=_in(90)))
    visit = claim(ready_case(alice, lesion=lesion, patient=lesion.patient), bob)
    page = client_for(bob).get(reverse("review:case", args=[visit.pk])).content.decode()
    link = reverse("lesions:compare", args=[lesion.pk]) + f"?a={earlier.pk}&amp;b={visit.pk}"
    assert 'id="previous-visit"' in page and link in page
    assert NEVUS["summary"] in page and "Monitor: follow-up visit" in page


def test_api_sign_takes_and_checks_the_plan(alice, bob):
    case = claim(ready_case(alice), bob)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(bob)}")
    draft = first_draft(case)
    body = {"fields": draft.finding_fields(), "confirmed_fields": list(FINDING_FIELDS), "draft_id": draft.pk,
            "expected_lock_version": case.lock_version, "attestation": True}
    missing = client.post(f"/api/v1/cases/{case.pk}/sign/", body, format="json")
    assert missing.status_code == 400 and "management_plan" in missing.content.decode()
    past = client.post(f"/api/v1/cases/{case.pk}/sign/", {**body, "management_plan": "monitor",
                                                          "follow_up_on": _in(-1).isoformat()}, format="json")
    assert past.status_code == 400 and "must be in the future" in past.content.decode()
    assert not Review.objects.filter(case=case).exists()
    due = _in(365)
    signed = client.post(f"/api/v1/cases/{case.pk}/sign/", {**body, "management_plan": "monitor",
                                                            "follow_up_on": due.isoformat()}, format="json")
    assert signed.status_code == 201, signed.content
    assert signed.json()["management_plan"] == "monitor" and signed.json()["follow_up_on"] == due.isoformat()
    assert signed.json()["change_since_previous"] == "new"


def test_exports_carry_the_plan_and_the_change(alice, bob, carol):
    lesion = _lesion(alice)
    earlier = ready_case(alice, lesion=lesion, patient=lesion.patient)
    due = _in(180)
    _sign(earlier, bob, PlanInput(management_plan="monitor", follow_up_on=due))
    later = ready_case(alice, lesion=lesion, patient=lesion.patient)
    _sign(later, bob, PlanInput(management_plan="biopsy", change_since_previous="changed",
                                change_aspects=("colour", "size")))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(carol)}")
    rows = {int(r["case_id"]): r for r in csv.DictReader(io.StringIO(b"".join(
        client.get("/api/v1/findings/export/", {"format": "csv"}).streaming_content).decode()))}
    assert [rows[earlier.pk][k] for k in ("management_plan", "follow_up_on", "change_since_previous",
                                          "change_aspects")] == ["monitor", due.isoformat(), "new", ""]
    assert [rows[later.pk][k] for k in ("management_plan", "follow_up_on", "change_since_previous",
                                        "change_aspects")] == ["biopsy", "", "changed", "size;colour"]
    body = json.loads(b"".join(client.get("/api/v1/findings/export/", {"format": "json"}).streaming_content))
    records = {r["case"]["id"]: r for r in body["findings"]}
    assert {k: records[later.pk][k] for k in ("management_plan", "follow_up_on", "change_since_previous",
                                              "change_aspects")} == {
        "management_plan": "biopsy", "follow_up_on": None, "change_since_previous": "changed",
        "change_aspects": ["size", "colour"]}
    assert records[earlier.pk]["follow_up_on"] == due.isoformat()


def test_csv_plan_columns_come_last():
    from dermreview.api.exports.csv_writer import COLUMNS

    assert COLUMNS[-4:] == ("management_plan", "follow_up_on", "change_since_previous", "change_aspects")
