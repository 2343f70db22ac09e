"""Reads of the pacs app: a final case as the `CaseStudy` its DICOM objects are built from, and the case page's
DICOM panel. Photos are read through Django's storage API (`image.file.open()`), whichever storage holds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.conf import settings

from dermreview.accounts.roles import Role, has_role
from dermreview.cases.models import Case, CaseStatus, LesionImage
from dermreview.cases.models.lesion import Laterality
from dermreview.cases.selectors import image_positions
from dermreview.drafting.models.fields import FIELD_LABELS, FINDING_FIELDS
from dermreview.pacs.dicom.content import AiProvenance, CaseStudy, Finding, Photo, Signer, StudyUids
from dermreview.pacs.dicom.images import photo_jpeg
from dermreview.pacs.models import DicomSend, DicomSendStatus
from dermreview.review.models import Review, ReviewOutcome
from dermreview.review.models.plan import ManagementPlan
from dermreview.review.services.signoff import current_reviews

_SEX = {"female": "F", "male": "M"}


def person_name(user: Any) -> str:
    """A reviewer as a DICOM Person Name: "Family^Given", or the user name as the family name."""
    if user.last_name or user.first_name:
        return f"{user.last_name}^{user.first_name}"[:64]
    return f"{user.username}^"[:64]


def software_version() -> str:
    try:
        return version("dermreview")
    except PackageNotFoundError:  # a checkout run without `pip install -e`
        return "unknown"


def issuer_of_patient_id(case: Case) -> str:
    return settings.DERMREVIEW_DICOM_ISSUER_OF_PATIENT_ID or f"DERMREVIEW-{case.organisation.slug}"[:64]


def signed_image_ids(case: Case, final: Review) -> list[int]:
    """The photos the finding was signed against (its `signed_context`), else every photo of the case."""
    ids = [photo["id"] for photo in (final.signed_context or {}).get("images", [])]
    return ids or list(case.images.order_by("pk").values_list("pk", flat=True))


def _photos(case: Case, ids: list[int]) -> tuple[Photo, ...]:
    images = list(LesionImage.objects.filter(case_id=case.pk))
    numbers = image_positions(images)
    photos = []
    for image in sorted((i for i in images if i.pk in ids), key=lambda i: numbers[i.pk]):
        with image.file.open("rb") as handle:
            jpeg, rows, columns = photo_jpeg(handle.read())
        photos.append(Photo(
            image_id=image.pk, number=numbers[image.pk], dermoscopic=image.capture_type == "dermoscopic",
            polarised=image.dermoscopy_polarised, contact=image.dermoscopy_contact, taken_at=image.created_at,
            jpeg=jpeg, rows=rows, columns=columns))
    return tuple(photos)


def _ai(reviews: list[Review]) -> AiProvenance | None:
    shown = next((review for review in reviews if review.draft_snapshot), None)
    if shown is None:
        return None
    snapshot = shown.draft_snapshot
    return AiProvenance(
        model_id=str(snapshot.get("model_id", "")), model_revision=str(snapshot.get("model_revision", "")),
        prompt_version=str(snapshot.get("prompt_version", "")), outcome=ReviewOutcome(shown.outcome).label,
        edited_fields=tuple(FIELD_LABELS.get(name, name) for name in shown.edited_fields))


def _finding(reviews: list[Review]) -> Finding:
    final = reviews[-1]
    lesion_class = final.lesion_class
    return Finding(
        fields=tuple((name, FIELD_LABELS[name], getattr(final, name)) for name in FINDING_FIELDS),
        lesion_class_code=lesion_class.code if lesion_class else "unclassified",
        lesion_class_name=lesion_class.name if lesion_class else final.lesion_type,
        management_plan=ManagementPlan(final.management_plan).label if final.management_plan else "",
        follow_up_on=final.follow_up_on, version=final.version,
        signers=tuple(Signer(name=person_name(r.reviewer), role=r.round_label, signed_at=r.signed_at)
                      for r in reviews),
        ai=_ai(reviews))


def case_study(*, send: DicomSend, uids: StudyUids) -> CaseStudy:
    """The send's case as one study: the standing sign-offs of its version, the photos they were signed against."""
    case = Case.objects.select_related("organisation", "patient", "lesion").get(pk=send.case_id)
    reviews = [r for r in current_reviews(case=case) if r.version == send.review_version]
    if not reviews:
        raise LookupError(f"Version {send.review_version} of case {case.pk} has no standing sign-off.")
    lesion = case.lesion
    return CaseStudy(
        case_id=case.pk, patient_id=case.patient_ref, issuer_of_patient_id=issuer_of_patient_id(case),
        patient_sex=_SEX.get(case.patient.sex if case.patient else "", ""),
        institution_name=settings.DERMREVIEW_DICOM_INSTITUTION_NAME or case.organisation.name,
        study_started_at=case.created_at, body_site=case.body_site, body_site_label=case.get_body_site_display(),
        laterality=lesion.laterality if lesion else Laterality.UNKNOWN, lesion_label=case.lesion_label,
        photos=_photos(case, list(uids.images)), finding=_finding(reviews), uids=uids,
        software_version=software_version())


@dataclass(frozen=True, slots=True)
class DicomSendRow:
    version: int
    status: str
    status_label: str
    attempts: int
    last_error: str
    study_instance_uid: str
    objects: int
    auto: bool
    requested_by: str
    requested_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class DicomPanel:
    configured: bool
    can_send: bool
    sends: tuple[DicomSendRow, ...]


def may_send(user: Any) -> bool:
    return has_role(user, Role.REVIEWER, Role.CLINIC_ADMIN)


def case_dicom_panel(*, user: Any, case: Case) -> DicomPanel:
    """The case page's "Hospital archive (DICOM)" box: each version's send, newest first, and the button (one query)."""
    rows = DicomSend.objects.visible_to(user).filter(case_id=case.pk).select_related("requested_by")
    sends = tuple(DicomSendRow(
        version=send.review_version, status=send.status, status_label=DicomSendStatus(send.status).label,
        attempts=send.attempts, last_error=send.last_error, study_instance_uid=send.study_instance_uid,
        objects=len(send.sop_instance_uids), auto=send.auto,
        requested_by=str(send.requested_by) if send.requested_by else "automatic (finding became final)",
        requested_at=send.requested_at, sent_at=send.sent_at) for send in rows)
    configured = bool(settings.DERMREVIEW_DICOM_STOW_URL)
    return DicomPanel(configured=configured, sends=sends,
                      can_send=configured and case.status == CaseStatus.FINAL and may_send(user))
