from dermreview.governance.models.approval import Approval, ApprovalKind, ApprovalQuerySet
from dermreview.governance.models.evaluation_item import EvaluationItem, EvaluationSide, ItemStatus
from dermreview.governance.models.evaluation_run import (
    EVALUATION_TRANSITIONS,
    IN_PROGRESS,
    EvaluationRun,
    EvaluationStatus,
)

__all__ = [
    "EVALUATION_TRANSITIONS",
    "IN_PROGRESS",
    "Approval",
    "ApprovalKind",
    "ApprovalQuerySet",
    "EvaluationItem",
    "EvaluationRun",
    "EvaluationSide",
    "EvaluationStatus",
    "ItemStatus",
]
