from dermreview.cases.models.case import BodySite, Case, CaseQuerySet, CaseStatus
from dermreview.cases.models.diagnosis_class import (
    DiagnosisClass,
    DiagnosisClassQuerySet,
    Vocabulary,
    diagnosis_class_match,
    term_key,
)
from dermreview.cases.models.lesion import BodyMapView, Laterality, Lesion, LesionQuerySet
from dermreview.cases.models.lesion_image import (
    CaptureType,
    Framing,
    LesionImage,
    LesionImageQuerySet,
    ScaleMethod,
)
from dermreview.cases.models.outcome import ConfirmType, LesionOutcome, LesionOutcomeQuerySet
from dermreview.cases.models.patient import FitzpatrickType, Patient, PatientQuerySet, Sex

__all__ = [
    "BodyMapView",
    "BodySite",
    "ConfirmType",
    "FitzpatrickType",
    "Framing",
    "Laterality",
    "Lesion",
    "LesionOutcome",
    "LesionOutcomeQuerySet",
    "LesionQuerySet",
    "Patient",
    "PatientQuerySet",
    "ScaleMethod",
    "Sex",
    "CaptureType",
    "Case",
    "CaseQuerySet",
    "CaseStatus",
    "DiagnosisClass",
    "DiagnosisClassQuerySet",
    "LesionImage",
    "LesionImageQuerySet",
    "Vocabulary",
    "diagnosis_class_match",
    "term_key",
]
