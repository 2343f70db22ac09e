"""What one DICOM study of a final case is built from: frozen, typed, free of Django (filled by pacs/selectors.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class StudyUids:
    """Every UID of one send, fixed when the send is first requested (pacs/dicom/uids.py)."""

    study: str
    clinical_series: str
    dermoscopic_series: str
    report_series: str
    report: str
    frame_of_reference: str
    images: dict[int, str]  # photo id -> SOP Instance UID


@dataclass(frozen=True, slots=True)
class Photo:
    image_id: int
    number: int  # "Photo N" of the case, also the Instance Number
    dermoscopic: bool
    polarised: bool | None  # None: not recorded
    contact: bool | None
    taken_at: datetime
    jpeg: bytes  # baseline JPEG, 8-bit RGB (see images.photo_jpeg)
    rows: int
    columns: int


@dataclass(frozen=True, slots=True)
class Signer:
    name: str  # the reviewer's name as DICOM Person Name ("Family^Given")
    role: str  # "first review", "second review", "resolving sign-off"
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class AiProvenance:
    """The AI draft the first reviewer saw, if any: always a draft, never the finding."""

    model_id: str
    model_revision: str
    prompt_version: str
    outcome: str  # what the reviewer did with it, as ReviewOutcome's label
    edited_fields: tuple[str, ...]  # labels of the fields the human changed


@dataclass(frozen=True, slots=True)
class Finding:
    fields: tuple[tuple[str, str, str], ...]  # (name, label, signed text), in the fields' order
    lesion_class_code: str
    lesion_class_name: str
    management_plan: str  # label, or ""
    follow_up_on: date | None
    version: int
    signers: tuple[Signer, ...]
    ai: AiProvenance | None


@dataclass(frozen=True, slots=True)
class CaseStudy:
    """One case as a DICOM study: a pseudonymous patient only, never a name."""

    case_id: int
    patient_id: str  # the clinic's pseudonymous reference
    issuer_of_patient_id: str
    patient_sex: str  # "F", "M" or ""
    institution_name: str
    study_started_at: datetime
    body_site: str  # BodySite value
    body_site_label: str
    laterality: str  # Laterality value ("left", "right", "midline", "unknown")
    lesion_label: str
    photos: tuple[Photo, ...]
    finding: Finding
    uids: StudyUids
    software_version: str
