"""Sending a final finding to the hospital archive: request (pages, API, auto-send), then deliver (the `pacs` worker).

A send is one row per case and finding version (`DicomSend`, unique). Its UIDs are fixed when it is first
requested: the study UID is the case's (kept from its first send), the others derive from it (pacs/dicom/uids.py),
so every attempt and every re-send stores the same objects and the archive holds each once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus
from dermreview.pacs.dicom.uids import new_study_uid, study_uids
from dermreview.pacs.errors import DicomNotAllowed, DicomRoleDenied
from dermreview.pacs.models import DicomSend, DicomSendStatus
from dermreview.pacs.selectors import may_send, signed_image_ids
from dermreview.review.services.signoff import current_reviews

# A send still `queued` or `sending` after this long lost its worker or its message: a new request re-queues it.
STALE_AFTER = timedelta(minutes=15)


def stow_endpoint() -> str:
    return f"{settings.DERMREVIEW_DICOM_STOW_URL}/studies"


def _check(case: Case, user: Any, auto: bool) -> None:
    if not auto:
        if not may_send(user):
            raise DicomRoleDenied("Only reviewers and clinic administrators send findings to the archive.")
        if user.organisation_id != case.organisation_id:
            raise DicomRoleDenied("This case belongs to another organisation.")
    if not settings.DERMREVIEW_DICOM_STOW_URL:
        raise DicomNotAllowed("No hospital archive is configured (DERMREVIEW_DICOM_STOW_URL).", code="not_configured")
    if case.status != CaseStatus.FINAL:
        raise DicomNotAllowed(
            f"Case {case.pk} is not final ({case.get_status_display()}): only a signed, final finding is sent to "
            "the archive.", code="not_final")


def _busy(send: DicomSend, now: Any) -> bool:
    in_flight = send.status in (DicomSendStatus.QUEUED, DicomSendStatus.SENDING)
    return in_flight and (send.started_at or send.requested_at) > now - STALE_AFTER


def dicom_send_request(*, case: Case, user: Any, auto: bool = False) -> DicomSend:
    """Queue the case's final finding (photos and report) for the archive; returns its send.

    A version already queued or being sent is returned as it is (no second message); a sent or failed one is sent
    again with the same UIDs. `auto`: the finding just became final and DERMREVIEW_DICOM_AUTO_SEND is on (no user).
    Raises DicomRoleDenied (403) or DicomNotAllowed (409: not final, no archive configured); nothing is written then.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("organisation").get(pk=case.pk)
        _check(locked, user, auto)
        reviews = current_reviews(case=locked)
        final = reviews[-1]
        send = DicomSend.objects.filter(case=locked, review_version=final.version).first()
        if send is not None and _busy(send, now):
            return send
        send = _queue(locked, final, send, user=None if auto else user, auto=auto, now=now)
        audit_log(action="dicom.send_requested", actor=None if auto else user, obj=send,
                  organisation=locked.organisation, case_id=locked.pk,
                  details={"version": send.review_version, "auto": auto, "endpoint": send.endpoint,
                           "study_instance_uid": send.study_instance_uid, "objects": len(send.sop_instance_uids)})
        from dermreview.pacs.tasks import dicom_send_deliver  # tasks import services, not the other way round

        dicom_send_deliver.delay_on_commit(send.pk)
    return send


def _queue(case: Case, final: Any, send: DicomSend | None, *, user: Any, auto: bool, now: Any) -> DicomSend:
    if send is None:
        earlier = DicomSend.objects.filter(case=case).order_by("pk").values_list("study_instance_uid", flat=True)
        root = settings.DERMREVIEW_DICOM_UID_ROOT
        uids = study_uids(root=root, study_uid=earlier.first() or new_study_uid(root),
                          image_ids=signed_image_ids(case, final), version=final.version)
        return DicomSend.objects.create(
            case=case, review=final, review_version=final.version, status=DicomSendStatus.QUEUED,
            study_instance_uid=uids.study, uid_root=root, endpoint=stow_endpoint(), auto=auto, requested_by=user,
            requested_at=now, series_instance_uids=[uids.clinical_series, uids.dermoscopic_series, uids.report_series],
            sop_instance_uids=[*uids.images.values(), uids.report])
    send.status, send.auto, send.requested_by, send.requested_at = DicomSendStatus.QUEUED, auto, user, now
    send.endpoint, send.last_error, send.attempts, send.started_at = stow_endpoint(), "", 0, None
    send.save()
    return send
