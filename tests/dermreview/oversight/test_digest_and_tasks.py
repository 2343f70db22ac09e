from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.celery import app
from dermreview.oversight.models import Alarm, AlarmDigest, AlarmKind
from dermreview.oversight.services.alarms import alarm_acknowledge, alarms_evaluate
from dermreview.oversight.services.digest import alarm_digest_send
from dermreview.oversight.tasks import oversight_daily, oversight_evaluate_organisation
from tests.dermreview.oversight.conftest import bulk_reviews
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rubber_stamper(clinic):  # noqa: ANN001, ANN201
    rita = UserFactory(username="rita", organisation=clinic, roles=["reviewer"])
    bulk_reviews(organisation=clinic, reviewer=rita, count=50, time_on_task_ms=5_000)
    return rita


def test_digest_emails_open_alarms_to_auditors_and_admins_once_a_day(clinic, carol, bob, alice, mallory, rubber_stamper):
    admin = UserFactory(username="ada", organisation=clinic, roles=["admin"])
    UserFactory(username="quiet", organisation=clinic, roles=["auditor"], email="")
    alarms_evaluate(organisation_id=clinic.pk)

    assert alarm_digest_send(organisation_id=clinic.pk) == 2

    assert sorted(m.to[0] for m in mail.outbox) == sorted([carol.email, admin.email])
    message = mail.outbox[0]
    assert "1 open oversight alarm" in message.subject and clinic.name in message.subject
    assert "Possible rubber-stamping: rita" in message.body and "50 of the last 50" in message.body
    assert "/oversight/alarms/" in message.body
    assert alarm_digest_send(organisation_id=clinic.pk) == 0 and len(mail.outbox) == 2  # same day: not again
    assert AlarmDigest.objects.get().alarm_count == 1
    assert AuditEvent.objects.filter(action="oversight.digest.send").count() == 1


def test_digest_is_not_sent_without_open_alarms(clinic, carol, rubber_stamper):
    alarm = alarms_evaluate(organisation_id=clinic.pk).opened[0]
    alarm_acknowledge(alarm_id=alarm.pk, user=carol, note="Looked into it.")
    assert alarm_digest_send(organisation_id=clinic.pk) == 0 and mail.outbox == []
    # Tomorrow, with a fresh open alarm, it goes out again.
    dave = UserFactory(username="dan", organisation=clinic, roles=["reviewer"])
    bulk_reviews(organisation=clinic, reviewer=dave, count=50, time_on_task_ms=5_000)
    alarms_evaluate(organisation_id=clinic.pk)
    assert alarm_digest_send(organisation_id=clinic.pk, now=timezone.now() + timedelta(days=1)) == 1
    assert "dan" in mail.outbox[0].body and "1 more acknowledged" in mail.outbox[0].body


def test_daily_task_evaluates_each_organisation_and_sends_its_digest(
    clinic, other_clinic, carol, mallory, rubber_stamper, django_capture_on_commit_callbacks
):
    # One message per organisation, sent once the transaction commits (captured here, not sent).
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert oversight_daily() == 2
    assert len(callbacks) == 2

    summary = oversight_evaluate_organisation(clinic.pk)
    assert summary == {"opened": 1, "refreshed": 0, "cleared": 0, "emails": 1}
    assert Alarm.objects.get().kind == AlarmKind.RUBBER_STAMP and mail.outbox[0].to == [carol.email]
    # A second run the same day is harmless: no new alarm, no second email.
    assert oversight_evaluate_organisation(clinic.pk) == {"opened": 0, "refreshed": 1, "cleared": 0, "emails": 0}
    assert oversight_evaluate_organisation(other_clinic.pk)["opened"] == 0
    assert oversight_evaluate_organisation(987654)["opened"] == 0


def test_daily_task_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["oversight-daily"]
    assert entry["task"] == "dermreview.oversight.tasks.oversight_daily"
    assert oversight_daily.name in app.tasks
