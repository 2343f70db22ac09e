from dermreview.drafting.models.draft import DRAFT_TRANSITIONS, Draft, DraftQuerySet, DraftStatus, FailureKind
from dermreview.drafting.models.drafting_control import DraftingControl
from dermreview.drafting.models.fields import FINDING_FIELDS, FindingFieldsMixin
from dermreview.drafting.models.model_version import (
    MODEL_VERSION_TRANSITIONS,
    ModelVersion,
    ModelVersionQuerySet,
    ModelVersionStatus,
    identity_key,
)
from dermreview.drafting.models.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "DRAFT_TRANSITIONS",
    "FINDING_FIELDS",
    "MODEL_VERSION_TRANSITIONS",
    "Draft",
    "DraftQuerySet",
    "DraftStatus",
    "DraftingControl",
    "FailureKind",
    "FindingFieldsMixin",
    "ModelVersion",
    "ModelVersionQuerySet",
    "ModelVersionStatus",
    "WorkerHeartbeat",
    "identity_key",
]
