from dermreview.review.models.agreement_score import AgreementScore, Comparison
from dermreview.review.models.blind_finding import BlindFinding
from dermreview.review.models.notification import Notification, NotificationKind
from dermreview.review.models.review import Review, ReviewOutcome, ReviewQuerySet

__all__ = [
    "AgreementScore",
    "BlindFinding",
    "Comparison",
    "Notification",
    "NotificationKind",
    "Review",
    "ReviewOutcome",
    "ReviewQuerySet",
]
