from dermreview.findings.models.agreement_score import AgreementScore, Comparison
from dermreview.findings.models.blind_finding import BlindFinding
from dermreview.findings.models.draft import Draft, DraftQuerySet, DraftStatus, FailureKind
from dermreview.findings.models.drafting_control import DraftingControl, WorkerHeartbeat
from dermreview.findings.models.fields import FINDING_FIELDS, FindingFieldsMixin
from dermreview.findings.models.review import Review, ReviewOutcome, ReviewQuerySet

__all__ = [
    "FINDING_FIELDS",
    "AgreementScore",
    "BlindFinding",
    "Comparison",
    "Draft",
    "DraftQuerySet",
    "DraftStatus",
    "DraftingControl",
    "FailureKind",
    "FindingFieldsMixin",
    "Review",
    "ReviewOutcome",
    "ReviewQuerySet",
    "WorkerHeartbeat",
]
