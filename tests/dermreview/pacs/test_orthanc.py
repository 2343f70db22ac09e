"""A real archive: Orthanc with DICOMweb (tests/orthanc_server.py). Send a final case with STOW-RS, find it with
QIDO-RS, retrieve it with WADO-RS; failures are recorded, shown and retried; re-sends duplicate nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from celery import signals
from django.urls import reverse
from pydicom import dcmread

from dermreview.audit.models import AuditEvent
from dermreview.pacs.dicom import validate
from dermreview.pacs.errors import DicomDeliveryFailed
from dermreview.pacs.models import DicomSend, DicomSendStatus
from dermreview.pacs.services.deliver import dicom_send_deliver
from dermreview.pacs.services.send import dicom_send_request
from dermreview.pacs.tasks import dicom_send_deliver as deliver_task
from tests.mfa import verify_session

pytestmark = pytest.mark.django_db

PATIENT_ID = "00100020"


def _study(archive: Any, patient_id: str) -> list[dict[str, Any]]:
    return archive.qido_studies(PatientID=patient_id)


def _page(client: Any, user: Any, case: Any) -> str:
    client.force_login(user)
    verify_session(client, user)
    return client.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_round_trip_stow_qido_wado(final_case: Any, bob: Any, dicom_archive: Any, client: Any) -> None:
    send = dicom_send_request(case=final_case, user=bob)
    delivered = dicom_send_deliver(send_id=send.pk)  # what the `pacs` worker runs
    assert delivered is not None and delivered.status == DicomSendStatus.SENT and delivered.attempts == 1

    [study] = _study(dicom_archive, final_case.patient_ref)
    assert study["0020000D"]["Value"] == [send.study_instance_uid]
    assert study[PATIENT_ID]["Value"] == [final_case.patient_ref]
    assert study["00201208"]["Value"] == [3]  # Number of Study Related Instances

    retrieved = [dcmread(io.BytesIO(part)) for part in dicom_archive.wado_study(send.study_instance_uid)]
    assert sorted(d.SOPInstanceUID for d in retrieved) == sorted(send.sop_instance_uids)
    by_class = {d.SOPClassUID.name: d for d in retrieved}
    assert set(by_class) == {"VL Photographic Image Storage", "Dermoscopic Photography Image Storage",
                             "Comprehensive SR Storage"}
    dermoscopic = by_class["Dermoscopic Photography Image Storage"]
    assert (dermoscopic.LightSourcePolarization, dermoscopic.ContactMethod) == ("POLARIZED", "NON_CONTACT")
    report = by_class["Comprehensive SR Storage"]
    assert report.VerificationFlag == "VERIFIED" and str(report.PatientName) == f"{final_case.patient_ref}^"
    for dataset in retrieved:
        assert dataset.PatientID == final_case.patient_ref and dataset.IssuerOfPatientID == "DERMREVIEW-riverside"
        assert validate.check(dataset).errors == ()

    [event] = AuditEvent.objects.filter(action="dicom.sent")
    assert event.details["study_instance_uid"] == send.study_instance_uid and event.details["objects"] == 3
    assert "dicom-sent" in _page(client, bob, final_case)


def test_a_second_send_duplicates_nothing(final_case: Any, bob: Any, dicom_archive: Any) -> None:
    first = dicom_send_request(case=final_case, user=bob)
    dicom_send_deliver(send_id=first.pk)
    again = dicom_send_request(case=final_case, user=bob)  # sent → queued, same row and UIDs
    assert again.pk == first.pk and again.sop_instance_uids == first.sop_instance_uids
    assert dicom_send_deliver(send_id=again.pk).status == DicomSendStatus.SENT
    assert dicom_send_deliver(send_id=again.pk) is None  # nothing left to do
    [study] = _study(dicom_archive, final_case.patient_ref)
    assert study["00201208"]["Value"] == [3]
    assert AuditEvent.objects.filter(action="dicom.sent").count() == 2


def test_an_unreachable_archive_fails_visibly_and_a_retry_delivers(final_case: Any, bob: Any, dicom_archive: Any,
                                                                  settings: Any, client: Any) -> None:
    from tests.orthanc_server import _free_port

    settings.DERMREVIEW_DICOM_STOW_URL = f"http://127.0.0.1:{_free_port()}/dicom-web"  # the archive is down
    send = dicom_send_request(case=final_case, user=bob)
    with pytest.raises(DicomDeliveryFailed) as failed:
        dicom_send_deliver(send_id=send.pk)
    assert failed.value.retry and failed.value.attempts == 1
    send.refresh_from_db()
    assert send.status == DicomSendStatus.FAILED and "Could not reach the archive" in send.last_error
    [event] = AuditEvent.objects.filter(action="dicom.failed")
    assert event.details["error"] == send.last_error
    html = _page(client, bob, final_case)
    assert "dicom-failed" in html and "Could not reach the archive" in html

    settings.DERMREVIEW_DICOM_STOW_URL = dicom_archive.dicomweb_url  # back up: the retry takes the failed send
    assert dicom_send_deliver(send_id=send.pk).status == DicomSendStatus.SENT
    send.refresh_from_db()
    assert send.attempts == 2 and send.last_error == ""
    assert len(_study(dicom_archive, final_case.patient_ref)) == 1


def test_a_wrong_path_or_password_is_an_error_with_the_archives_answer(final_case: Any, bob: Any,
                                                                       dicom_archive: Any, settings: Any) -> None:
    settings.DERMREVIEW_DICOM_PASSWORD = "wrong"
    send = dicom_send_request(case=final_case, user=bob)
    with pytest.raises(DicomDeliveryFailed):
        dicom_send_deliver(send_id=send.pk)
    send.refresh_from_db()
    assert "HTTP 401" in send.last_error
    assert _study(dicom_archive, final_case.patient_ref) == []


# Real task runs: Celery's task_prerun/postrun close the database connection (dermreview/celery.py), which a test
# wrapped in one transaction cannot survive, so these commit like production does. `apply()` runs each retry at
# once instead of after its countdown (retry_countdown is tested apart).
@pytest.mark.django_db(transaction=True)
def test_the_task_retries_until_the_attempts_are_spent(final_case: Any, bob: Any, archive_settings: Any) -> None:
    archive_settings.DERMREVIEW_DICOM_MAX_ATTEMPTS = 3
    send = dicom_send_request(case=final_case, user=bob)
    deliver_task.apply(args=[send.pk])
    send.refresh_from_db()
    assert send.status == DicomSendStatus.FAILED and send.attempts == 3
    assert AuditEvent.objects.filter(action="dicom.failed").count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_task_delivers_on_a_retry_once_the_archive_is_back(final_case: Any, bob: Any, dicom_archive: Any,
                                                               settings: Any) -> None:
    from tests.orthanc_server import _free_port

    settings.DERMREVIEW_DICOM_STOW_URL = f"http://127.0.0.1:{_free_port()}/dicom-web"
    send = dicom_send_request(case=final_case, user=bob)
    retries: list[str] = []

    def archive_back(sender: Any = None, reason: Any = None, **kwargs: Any) -> None:
        retries.append(str(reason))
        settings.DERMREVIEW_DICOM_STOW_URL = dicom_archive.dicomweb_url

    signals.task_retry.connect(archive_back, weak=False)
    try:
        result = deliver_task.apply(args=[send.pk])
    finally:
        signals.task_retry.disconnect(archive_back)
    assert len(retries) == 1 and "Could not reach the archive" in retries[0]
    send.refresh_from_db()
    assert (send.status, send.attempts) == (DicomSendStatus.SENT, 2), result.result
    assert len(_study(dicom_archive, final_case.patient_ref)) == 1


def test_another_clinics_case_is_not_found(final_case: Any, mallory: Any, client: Any, dicom_archive: Any) -> None:
    client.force_login(mallory)
    verify_session(client, mallory)
    assert client.post(reverse("pacs:case_send", args=[final_case.pk])).status_code == 404
    assert not DicomSend.objects.exists()
