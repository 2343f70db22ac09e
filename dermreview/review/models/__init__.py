from dermreview.review.models.agreement_score import AgreementScore, Comparison
from dermreview.review.models.blind_finding import BlindFinding
from dermreview.review.models.notification import Notification, NotificationKind
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan
from dermreview.review.models.review import Review, ReviewOutcome, ReviewQuerySet

__all__ = [
    "AgreementScore",
    "BlindFinding",
    "ChangeAspect",
    "ChangeSincePrevious",
    "Comparison",
    "ManagementPlan",
    "Notification",
    "NotificationKind",
    "Review",
    "ReviewOutcome",
    "ReviewQuerySet",
]
