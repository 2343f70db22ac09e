from dermreview.cases.models.case import BodySite, Case, CaseQuerySet, CaseStatus
from dermreview.cases.models.lesion_image import CaptureType, LesionImage, LesionImageQuerySet

__all__ = ["BodySite", "CaptureType", "Case", "CaseQuerySet", "CaseStatus", "LesionImage", "LesionImageQuerySet"]
