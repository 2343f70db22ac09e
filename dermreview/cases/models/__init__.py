from dermreview.cases.models.case import BodySite, Case, CaseQuerySet, CaseStatus
from dermreview.cases.models.diagnosis_class import (
    DiagnosisClass,
    DiagnosisClassQuerySet,
    Vocabulary,
    diagnosis_class_match,
    term_key,
)
from dermreview.cases.models.lesion_image import CaptureType, LesionImage, LesionImageQuerySet

__all__ = [
    "BodySite",
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
