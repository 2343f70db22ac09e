"""Clinicians hear about their cases: signed, amended, new photo requested; in the app and by email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dermreview.cases.models import CaseStatus
from dermreview.review.models import Notification, NotificationKind
from dermreview.review.services.signoff import review_amend
from dermreview.review.services.ungradable import image_mark_ungradable
from dermreview.review.tasks import notification_email
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, claim, ready_case, sign

pytestmark = pytest.mark.django_db


def test_notification_created_for_the_case_clinician_when_the_finding_is_signed(alice, bob, mallory):
    case = ready_case(alice)
    sign(case, bob)
    notification = Notification.objects.get()
    assert (notification.recipient, notification.case, notification.kind) == (alice, case, NotificationKind.SIGNED)
    assert not Notification.objects.filter(recipient=mallory).exists()


def test_no_notification_while_a_high_risk_case_waits_for_its_second_reviewer(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, fields=MELANOMA)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW and not Notification.objects.exists()
    sign(case, dave, fields=MELANOMA)
    assert list(Notification.objects.values_list("kind", flat=True)) == [NotificationKind.SIGNED]


def test_notification_created_when_the_finding_is_amended(alice, bob):
    case = ready_case(alice)
    original = sign(case, bob)
    case = claim(case, bob)  # an amendment starts from a claim of the final case
    review_amend(review=original, reviewer=bob, fields={**NEVUS, "borders": "notched at 3 o'clock"},
                 reason="Reread", opened_at=timezone.now() - timedelta(seconds=20),
                 expected_lock_version=case.lock_version, attestation=True)
    assert Notification.objects.filter(recipient=alice, kind=NotificationKind.AMENDED).count() == 1


def test_notification_created_when_a_new_photo_is_requested(alice, bob):
    case = ready_case(alice)
    image_mark_ungradable(image=case.images.get(), reviewer=bob, reason="blur")
    assert Notification.objects.get().kind == NotificationKind.NEW_PHOTO


def test_notifications_only_for_the_case_own_clinic(alice, bob, mallory):
    other = ready_case(mallory)
    ready = ready_case(alice)
    sign(ready, bob)
    assert not Notification.objects.filter(case=other).exists()
    assert not Notification.objects.filter(recipient=mallory).exists()


def test_email_queued_after_commit_and_sent_once_by_the_task(alice, bob, django_capture_on_commit_callbacks,
                                                              monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(notification_email, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        sign(ready_case(alice), bob)
    notification = Notification.objects.get()
    assert queued == [notification.pk] and mail.outbox == []
    assert notification_email(notification.pk) is True
    assert notification_email(notification.pk) is False  # idempotent: a second run sends nothing
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    assert f"case #{notification.case_id}" in mail.outbox[0].subject
    assert reverse("cases:detail", args=[notification.case_id]) in mail.outbox[0].body


def test_unread_count_in_nav_and_opening_marks_read(alice, bob, client_for):
    case = ready_case(alice)
    sign(case, bob)
    client = client_for(alice)
    home = client.get(reverse("cases:list")).content.decode()
    assert 'id="unread-badge">1 unread<' in home
    page = client.get(reverse("review:notifications"))
    assert page.status_code == 200 and "Final finding signed" in page.content.decode()
    notification = Notification.objects.get()
    opened = client.post(reverse("review:notification_open", args=[notification.pk]))
    assert opened.status_code == 302 and opened["Location"] == reverse("cases:detail", args=[case.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "unread-badge" not in client.get(reverse("cases:list")).content.decode()


def test_the_header_reads_the_unread_count_from_the_context(alice, bob, client_for):
    sign(ready_case(alice), bob)
    response = client_for(alice).get(reverse("cases:list"))
    assert response.context["unread_notifications"] == 1  # the context processor's, not a query in base.html
    assert 'id="unread-badge">1 unread<' in response.content.decode()
    response = client_for(bob).get(reverse("cases:list"))  # a reviewer gets no notifications entry, and no query
    assert response.context["unread_notifications"] == 0 and 'id="nav-notifications"' not in response.content.decode()


def test_someone_elses_notification_is_404(alice, bob, mallory, client_for):
    sign(ready_case(alice), bob)
    notification = Notification.objects.get()
    response = client_for(mallory).post(reverse("review:notification_open", args=[notification.pk]))
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_needs_my_action_filter(alice, bob, client_for):
    signed = ready_case(alice, patient_ref="SIGNED-1")
    sign(signed, bob)
    photo = ready_case(alice, patient_ref="PHOTO-1")
    image_mark_ungradable(image=photo.images.get(), reviewer=bob, reason="blur")
    ready_case(alice, patient_ref="WAITING-1")
    client = client_for(alice)
    html = client.get(reverse("cases:list"), {"needs_action": "1"}).content.decode()
    assert "SIGNED-1" in html and "PHOTO-1" in html and "WAITING-1" not in html
    client.post(reverse("review:notification_open", args=[Notification.objects.get(case=signed).pk]))
    html = client.get(reverse("cases:list"), {"needs_action": "1"}).content.decode()
    assert "SIGNED-1" not in html and "PHOTO-1" in html
    assert "WAITING-1" in client.get(reverse("cases:list")).content.decode()
