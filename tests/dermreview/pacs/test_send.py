"""Requesting a send: who may, which cases, what is written and audited; the API; auto-send on final."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaseStatus
from dermreview.pacs.errors import DicomNotAllowed, DicomRoleDenied
from dermreview.pacs.models import DicomSend, DicomSendStatus
from dermreview.pacs.services.send import dicom_send_request
from dermreview.pacs.tasks import retry_countdown
from tests.dermreview.api.conftest import assert_error
from tests.dermreview.pacs.conftest import signed_final_case
from tests.dermreview.review.review_helpers import ready_case
from tests.mfa import verify_session

pytestmark = pytest.mark.django_db


def _login(client: Any, user: Any) -> None:
    client.force_login(user)
    verify_session(client, user)


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_request_queues_one_send_and_audits_it(final_case: Any, bob: Any, archive_settings: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        send = dicom_send_request(case=final_case, user=bob)
    assert len(callbacks) == 1  # the task, after the commit
    assert (send.status, send.review_version, send.requested_by, send.auto) == (DicomSendStatus.QUEUED, 1, bob, False)
    assert send.endpoint == f"{archive_settings.DERMREVIEW_DICOM_STOW_URL}/studies"
    assert len(send.sop_instance_uids) == 3 and len(set(send.sop_instance_uids)) == 3
    [event] = _events("dicom.send_requested")
    assert event.actor_id == bob.pk and event.details["study_instance_uid"] == send.study_instance_uid
    # Pressed again while queued: the same send, no second message, no second event.
    with django_capture_on_commit_callbacks() as callbacks:
        assert dicom_send_request(case=final_case, user=bob).pk == send.pk
    assert callbacks == [] and len(_events("dicom.send_requested")) == 1


def test_a_case_that_is_not_final_is_refused_and_nothing_written(alice: Any, bob: Any, archive_settings: Any) -> None:
    case = ready_case(alice)
    with pytest.raises(DicomNotAllowed, match="not final") as refused:
        dicom_send_request(case=case, user=bob)
    assert refused.value.http_status == 409
    assert not DicomSend.objects.exists() and not _events("dicom.send_requested")


def test_without_an_archive_nothing_is_sent(final_case: Any, bob: Any, settings: Any) -> None:
    settings.DERMREVIEW_DICOM_STOW_URL = ""
    with pytest.raises(DicomNotAllowed, match="No hospital archive"):
        dicom_send_request(case=final_case, user=bob)
    assert not DicomSend.objects.exists()


def test_only_reviewers_and_clinic_admins_send(final_case: Any, alice: Any, carol: Any, clinic_admin: Any,
                                               archive_settings: Any) -> None:
    for user in (alice, carol):
        with pytest.raises(DicomRoleDenied):
            dicom_send_request(case=final_case, user=user)
    assert dicom_send_request(case=final_case, user=clinic_admin).requested_by == clinic_admin


def test_api_sends_lists_and_refuses(final_case: Any, bob: Any, alice: Any, mallory: Any, api: Any,
                                     archive_settings: Any) -> None:
    url = reverse("api-case-dicom", args=[final_case.pk])
    assert_error(api(mallory).post(url), 404)
    assert_error(api(mallory).get(url), 404)
    assert_error(api(alice).post(url), 403)
    response = api(bob).post(url)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["review_version"] == 1 and body["requested_by"] == "bob"
    listed = api(alice).get(url).json()
    assert [row["id"] for row in listed] == [body["id"]]
    not_final = ready_case(alice)
    assert_error(api(bob).post(reverse("api-case-dicom", args=[not_final.pk])), 409)


def test_case_page_shows_the_send_and_the_button_to_reviewers_only(final_case: Any, bob: Any, alice: Any,
                                                                   mallory: Any, client: Any,
                                                                   archive_settings: Any) -> None:
    page = reverse("cases:detail", args=[final_case.pk])
    _login(client, bob)
    html = client.get(page).content.decode()
    assert 'id="dicom-panel"' in html and 'id="dicom-send"' in html and "Not sent yet" in html
    response = client.post(reverse("pacs:case_send", args=[final_case.pk]))
    assert response.status_code == 302
    html = client.get(page).content.decode()
    assert "dicom-queued" in html and "queued for the hospital archive" in html
    _login(client, alice)
    html = client.get(page).content.decode()
    assert 'id="dicom-panel"' in html and 'id="dicom-send"' not in html
    _login(client, mallory)
    assert client.post(reverse("pacs:case_send", args=[final_case.pk])).status_code == 404
    assert DicomSend.objects.count() == 1


def test_auto_send_when_a_sign_off_makes_the_case_final(alice: Any, bob: Any, archive_settings: Any,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    archive_settings.DERMREVIEW_DICOM_AUTO_SEND = True
    with django_capture_on_commit_callbacks(execute=True):
        case = signed_final_case(alice, bob)
    assert case.status == CaseStatus.FINAL
    send = DicomSend.objects.get(case=case)
    assert send.auto and send.requested_by is None and send.status == DicomSendStatus.QUEUED
    assert _events("dicom.send_requested")[0].details["auto"] is True


def test_no_auto_send_unless_configured(alice: Any, bob: Any, archive_settings: Any,
                                        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signed_final_case(alice, bob)
    assert not DicomSend.objects.exists()


def test_retry_backoff_doubles_up_to_ten_minutes() -> None:
    assert [retry_countdown(n) for n in (1, 2, 3, 6, 12)] == [30, 60, 120, 600, 600]
