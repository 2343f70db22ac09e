from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dermreview.audit.models import AuditEvent
from dermreview.oversight.models import Alarm, AlarmKind, AlarmStatus
from dermreview.oversight.services.alarms import alarm_acknowledge, alarm_resolve, alarms_evaluate
from tests.dermreview.oversight.conftest import bulk_reviews, bulk_scores, snapshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def _reviewer(clinic, name):  # noqa: ANN001, ANN202
    return UserFactory(username=name, organisation=clinic, roles=["reviewer"])


def test_rubber_stamp_alarm_fires_for_sixty_unchanged_five_second_signoffs(clinic):
    rita = _reviewer(clinic, "rita")
    bulk_reviews(organisation=clinic, reviewer=rita, count=60, all_unchanged=True, time_on_task_ms=5_000)

    result = alarms_evaluate(organisation_id=clinic.pk)

    alarm = Alarm.objects.get(kind=AlarmKind.RUBBER_STAMP)
    assert result.opened == [alarm] and alarm.reviewer == rita and alarm.status == AlarmStatus.OPEN
    assert alarm.details["unchanged"] == 50 and alarm.details["window"] == 50
    assert alarm.details["median_time_s"] == 5.0
    assert AuditEvent.objects.filter(action="oversight.alarm.open", object_id=str(alarm.pk)).count() == 1


def test_rubber_stamp_alarm_stays_quiet_for_a_reviewer_who_edits_one_in_five(clinic):
    eddie = _reviewer(clinic, "eddie")
    bulk_reviews(organisation=clinic, reviewer=eddie, count=60, all_unchanged=lambda i: i % 5 != 0,
                 time_on_task_ms=5_000)
    assert alarms_evaluate(organisation_id=clinic.pk).opened == []
    assert not Alarm.objects.exists()


def test_rubber_stamp_alarm_needs_short_times_and_a_full_window(clinic):
    slow = _reviewer(clinic, "slow")
    bulk_reviews(organisation=clinic, reviewer=slow, count=60, all_unchanged=True, time_on_task_ms=40_000)
    new = _reviewer(clinic, "newcomer")
    bulk_reviews(organisation=clinic, reviewer=new, count=49, all_unchanged=True, time_on_task_ms=3_000)
    assert alarms_evaluate(organisation_id=clinic.pk).opened == []


def test_rubber_stamp_alarm_reads_only_the_last_window_of_signoffs(clinic):
    reformed = _reviewer(clinic, "reformed")
    # 60 rubber stamps long ago, then 50 careful reviews: the window holds only the careful ones.
    bulk_reviews(organisation=clinic, reviewer=reformed, count=60, time_on_task_ms=4_000,
                 signed_at=lambda i: NOW - timedelta(days=30, minutes=i))
    bulk_reviews(organisation=clinic, reviewer=reformed, count=50, time_on_task_ms=4_000,
                 all_unchanged=lambda i: i % 2 == 0, signed_at=lambda i: NOW - timedelta(minutes=i))
    assert alarms_evaluate(organisation_id=clinic.pk, now=NOW).opened == []


def test_alarm_evaluation_twice_keeps_one_alarm_and_marks_cleared_conditions(clinic):
    rita = _reviewer(clinic, "rita")
    bulk_reviews(organisation=clinic, reviewer=rita, count=50, time_on_task_ms=5_000)
    first = alarms_evaluate(organisation_id=clinic.pk)
    second = alarms_evaluate(organisation_id=clinic.pk)
    assert len(first.opened) == 1 and second.opened == [] and [a.pk for a in second.refreshed] == [first.opened[0].pk]
    assert Alarm.objects.count() == 1

    # She edits her next five drafts: the condition clears, but the alarm waits for a person to resolve it.
    bulk_reviews(organisation=clinic, reviewer=rita, count=5, all_unchanged=False, time_on_task_ms=60_000)
    third = alarms_evaluate(organisation_id=clinic.pk)
    alarm = Alarm.objects.get()
    assert third.cleared == [alarm] and alarm.status == AlarmStatus.OPEN and not alarm.still_firing


def test_high_risk_alarm_fires_when_ten_high_risk_drafts_were_never_edited(clinic):
    hal = _reviewer(clinic, "hal")
    bulk_reviews(organisation=clinic, reviewer=hal, count=10, high_risk=True, time_on_task_ms=30_000)
    careful = _reviewer(clinic, "careful")
    bulk_reviews(organisation=clinic, reviewer=careful, count=10, high_risk=True, time_on_task_ms=30_000,
                 all_unchanged=lambda i: i != 3)
    # A draft naming melanoma counts as high-risk even when the case flag is not set.
    mel = _reviewer(clinic, "mel")
    bulk_reviews(organisation=clinic, reviewer=mel, count=10, time_on_task_ms=30_000,
                 draft_snapshot=snapshot(fields={"lesion_type": "Melanoma"}))

    alarms_evaluate(organisation_id=clinic.pk)

    flagged = set(Alarm.objects.filter(kind=AlarmKind.HIGH_RISK_NEVER_EDITED).values_list("reviewer__username", flat=True))
    assert flagged == {"hal", "mel"}


def _drift_history(clinic, reviewer, *, recent_mean: float, scorer=("all-MiniLM-L6-v2", 6)):  # noqa: ANN001, ANN202
    """A model version first used 90 days ago: 30 baseline sign-offs around 0.95, 30 recent around `recent_mean`."""
    rng = random.Random(7)
    baseline = bulk_reviews(organisation=clinic, reviewer=reviewer, count=30,
                            signed_at=lambda i: NOW - timedelta(days=90) + timedelta(hours=20 * i))
    recent = bulk_reviews(organisation=clinic, reviewer=reviewer, count=30,
                          signed_at=lambda i: NOW - timedelta(days=25) + timedelta(hours=18 * i))
    bulk_scores(baseline, field="texture", f1=lambda i: 0.95 + rng.uniform(-0.01, 0.01), scorer=scorer)
    bulk_scores(recent, field="texture", f1=lambda i: recent_mean + rng.uniform(-0.01, 0.01), scorer=scorer)
    # Another field holds steady throughout.
    bulk_scores(baseline + recent, field="color", f1=lambda i: 0.9 + rng.uniform(-0.01, 0.01), scorer=scorer)


def test_drift_alarm_fires_on_a_drop_beyond_the_margin(clinic, bob):
    _drift_history(clinic, bob, recent_mean=0.87)
    alarms_evaluate(organisation_id=clinic.pk, now=NOW)
    alarm = Alarm.objects.get(kind=AlarmKind.DRIFT)
    assert alarm.details["field"] == "texture" and alarm.details["model_id"] == "m/one"
    assert alarm.details["baseline_n"] == 30 and alarm.details["recent_n"] == 30
    assert alarm.details["drop"] == pytest.approx(0.08, abs=0.01)
    assert "Texture" in alarm.subject_label and "all-MiniLM-L6-v2" in alarm.subject_label


def test_drift_alarm_ignores_noise_within_the_margin(clinic, bob):
    _drift_history(clinic, bob, recent_mean=0.93)
    alarms_evaluate(organisation_id=clinic.pk, now=NOW)
    assert not Alarm.objects.filter(kind=AlarmKind.DRIFT).exists()


def test_drift_alarm_is_per_scorer(clinic, bob, dave):
    _drift_history(clinic, bob, recent_mean=0.94)
    _drift_history(clinic, dave, recent_mean=0.80, scorer=("roberta-large", 17))
    alarms_evaluate(organisation_id=clinic.pk, now=NOW)
    assert list(Alarm.objects.values_list("details__scorer_model", flat=True)) == ["roberta-large"]


def test_drift_alarm_waits_until_the_baseline_month_is_over(clinic, bob):
    _drift_history(clinic, bob, recent_mean=0.80)
    alarms_evaluate(organisation_id=clinic.pk, now=NOW - timedelta(days=40))
    assert not Alarm.objects.exists()


@pytest.fixture
def open_alarm(clinic):  # noqa: ANN001, ANN201
    rita = _reviewer(clinic, "rita")
    bulk_reviews(organisation=clinic, reviewer=rita, count=50, time_on_task_ms=5_000)
    return alarms_evaluate(organisation_id=clinic.pk).opened[0]


def test_alarm_acknowledge_requires_a_note_and_changes_nothing_without_one(open_alarm, carol):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="note is required"):
        alarm_acknowledge(alarm_id=open_alarm.pk, user=carol, note="   ")
    open_alarm.refresh_from_db()
    assert open_alarm.status == AlarmStatus.OPEN and open_alarm.note == ""
    assert AuditEvent.objects.count() == before


def test_alarm_acknowledge_records_note_and_audits(open_alarm, carol):
    alarm = alarm_acknowledge(alarm_id=open_alarm.pk, user=carol, note="Spoke to Rita; she reviews on paper first.")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED and alarm.acknowledged_by == carol and alarm.acknowledged_at
    event = AuditEvent.objects.get(action="oversight.alarm.acknowledge")
    assert event.actor == carol and event.object_id == str(alarm.pk)
    assert event.details["note"] == "Spoke to Rita; she reviews on paper first."
    with pytest.raises(ValidationError, match="only open alarms"):
        alarm_acknowledge(alarm_id=alarm.pk, user=carol, note="again")


def test_alarm_resolve_audits_and_a_recurring_condition_opens_a_new_alarm(open_alarm, carol, clinic):
    alarm_resolve(alarm_id=open_alarm.pk, user=carol, note="Retrained; monitoring.")
    open_alarm.refresh_from_db()
    assert open_alarm.status == AlarmStatus.RESOLVED and open_alarm.resolved_by == carol
    assert AuditEvent.objects.filter(action="oversight.alarm.resolve", actor=carol).exists()
    with pytest.raises(ValidationError, match="already resolved"):
        alarm_resolve(alarm_id=open_alarm.pk, user=carol, note="again")
    reopened = alarms_evaluate(organisation_id=clinic.pk).opened
    assert len(reopened) == 1 and reopened[0].pk != open_alarm.pk


def test_alarm_acknowledge_refuses_other_roles_and_outsiders(open_alarm, bob, mallory):
    with pytest.raises(PermissionDenied):
        alarm_acknowledge(alarm_id=open_alarm.pk, user=bob, note="not mine to judge")
    with pytest.raises(Http404):
        alarm_acknowledge(alarm_id=open_alarm.pk, user=mallory, note="snooping")
    open_alarm.refresh_from_db()
    assert open_alarm.status == AlarmStatus.OPEN


def test_high_risk_alarm_fires_for_never_edited_drafts_in_the_model_cards_words(clinic):
    # The card's lesion type is a clinical classification: a melanoma subtype maps to a high-risk class, a naevus
    # to a benign one, whatever the case flag says.
    card = _reviewer(clinic, "card")
    bulk_reviews(organisation=clinic, reviewer=card, count=10, time_on_task_ms=30_000,
                 draft_snapshot=snapshot(fields={"lesion_type": "Superficial spreading melanoma"}))
    benign = _reviewer(clinic, "benign")
    bulk_reviews(organisation=clinic, reviewer=benign, count=10, time_on_task_ms=30_000,
                 draft_snapshot=snapshot(fields={"lesion_type": "Melanocytic nevus"}))

    alarms_evaluate(organisation_id=clinic.pk)

    flagged = set(Alarm.objects.filter(kind=AlarmKind.HIGH_RISK_NEVER_EDITED).values_list("reviewer__username", flat=True))
    assert flagged == {"card"}
