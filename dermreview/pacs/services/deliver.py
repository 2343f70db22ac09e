"""Delivering one send (the `pacs` worker): claim it, build and validate its objects, STOW-RS them, record the outcome.

Claimed with a conditional UPDATE (queued or failed → sending), so two workers never send one row at once. The
objects are built from the database and the stored photos at each attempt, with the UIDs fixed on the row.
"""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.pacs.dicom.content import StudyUids
from dermreview.pacs.dicom.images import photo_dataset
from dermreview.pacs.dicom.report import report_dataset
from dermreview.pacs.dicom.stow import StowConfig, StowError, stow
from dermreview.pacs.dicom.uids import study_uids
from dermreview.pacs.dicom.validate import InvalidDicom, assert_valid, dataset_bytes
from dermreview.pacs.errors import DicomDeliveryFailed
from dermreview.pacs.models import DicomSend, DicomSendStatus
from dermreview.pacs.selectors import case_study, signed_image_ids


def stow_config() -> StowConfig:
    ca_bundle = settings.DERMREVIEW_DICOM_CA_BUNDLE
    verify: bool | str = str(ca_bundle) if ca_bundle and settings.DERMREVIEW_DICOM_TLS_VERIFY else (
        settings.DERMREVIEW_DICOM_TLS_VERIFY)
    return StowConfig(
        url=settings.DERMREVIEW_DICOM_STOW_URL, timeout_s=settings.DERMREVIEW_DICOM_TIMEOUT_S,
        username=settings.DERMREVIEW_DICOM_USERNAME, password=settings.DERMREVIEW_DICOM_PASSWORD,
        bearer_token=settings.DERMREVIEW_DICOM_BEARER_TOKEN, verify=verify)


def _claim(send_id: int) -> DicomSend | None:
    claimed = DicomSend.objects.filter(
        pk=send_id, status__in=[DicomSendStatus.QUEUED, DicomSendStatus.FAILED],
    ).update(status=DicomSendStatus.SENDING, attempts=F("attempts") + 1, started_at=timezone.now())
    return DicomSend.objects.select_related("case", "review").get(pk=send_id) if claimed else None


def _uids(send: DicomSend) -> StudyUids:
    uids = study_uids(root=send.uid_root, study_uid=send.study_instance_uid,
                      image_ids=signed_image_ids(send.case, send.review), version=send.review_version)
    if [*uids.images.values(), uids.report] != send.sop_instance_uids:
        # The photos the finding was signed against cannot change; if they did, sending would mint new objects.
        raise InvalidDicom("the send's objects no longer match the UIDs fixed when it was requested")
    return uids


def build_objects(send: DicomSend) -> list:
    """The send's photos and report as validated DICOM datasets (photos first, the report last)."""
    study = case_study(send=send, uids=_uids(send))
    photos = [photo_dataset(study, photo) for photo in study.photos]
    objects = [*photos, report_dataset(study, photos)]
    for dataset in objects:
        assert_valid(dataset)
    return objects


def dicom_send_deliver(*, send_id: int) -> DicomSend | None:
    """One attempt at a queued (or failed, retried) send. Returns the send, or None when there was nothing to do
    (already sent, or another worker holds it). Raises DicomDeliveryFailed after recording a failure."""
    send = _claim(send_id)
    if send is None:
        return None
    try:
        objects = build_objects(send)
        result = stow(stow_config(), [dataset_bytes(d) for d in objects], [d.SOPInstanceUID for d in objects])
    # A soft time limit is a failure too: recorded, so the row is never left `sending`.
    except (StowError, InvalidDicom, LookupError, OSError, SoftTimeLimitExceeded) as failure:
        _record_failure(send, failure)
        raise DicomDeliveryFailed(send.last_error, retry=send.attempts < settings.DERMREVIEW_DICOM_MAX_ATTEMPTS
                                  and not isinstance(failure, (InvalidDicom, LookupError)),
                                  attempts=send.attempts) from failure
    with transaction.atomic():
        send.status, send.sent_at, send.last_error = DicomSendStatus.SENT, timezone.now(), ""
        send.save(update_fields=["status", "sent_at", "last_error", "updated_at"])
        audit_log(action="dicom.sent", actor=None, obj=send, organisation=send.case.organisation,
                  case_id=send.case_id,
                  details={"version": send.review_version, "attempt": send.attempts, "endpoint": send.endpoint,
                           "study_instance_uid": send.study_instance_uid, "objects": len(objects),
                           "http_status": result.http_status})
    return send


def _record_failure(send: DicomSend, failure: Exception) -> None:
    message = getattr(failure, "message", None) or f"{type(failure).__name__}: {failure}"
    with transaction.atomic():
        send.status, send.last_error = DicomSendStatus.FAILED, message[:2000]
        send.save(update_fields=["status", "last_error", "updated_at"])
        audit_log(action="dicom.failed", actor=None, obj=send, organisation=send.case.organisation,
                  case_id=send.case_id,
                  details={"version": send.review_version, "attempt": send.attempts, "endpoint": send.endpoint,
                           "error": send.last_error})
