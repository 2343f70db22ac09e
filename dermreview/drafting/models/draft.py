from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from dermreview.cases.models.case import InvalidTransition
from dermreview.drafting.models.fields import FindingFieldsMixin
from inference_worker import FailureKind as EngineFailure

if TYPE_CHECKING:
    from inference_worker.identity import ModelIdentity

_FAILURE_MESSAGE_LENGTH = 2000


class DraftStatus(models.TextChoices):
    """The draft's state machine. Every write of `status` goes through the transition methods of `Draft`.

        queued ──claim──▶ running ──store──▶ ready
         ▲  ▲              │ │ ▲ │
         │  └──requeue─────┘ │ └─┘ claim again (the same run, or after the claim went stale)
         │   (claim stale)   ├──fail: unusable reply or photo──▶ needs_manual_entry
         │                   └──fail: load, timeout, engine────▶ failed
         │                                                         │
         └──requeue: a retry after the backoff, or an admin's──────┘

    * `running`: one worker run holds it (`claim_token`). Claims are conditional UPDATEs, so two runs never hold
      the same draft, and only the holder may store or fail it.
    * `ready` and `needs_manual_entry` are final: a human takes it from there.
    * `failed` with a retryable kind (`FailureKind.retryable`) and attempts left is requeued by the reconciler;
      `attempts_exhausted` (or any other kind) stays failed until an admin requeues it.
    """

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Draft ready"
    NEEDS_MANUAL_ENTRY = "needs_manual_entry", "Needs manual entry"
    FAILED = "failed", "Failed"


DRAFT_TRANSITIONS: dict[str, frozenset[str]] = {
    DraftStatus.QUEUED: frozenset({DraftStatus.RUNNING}),
    DraftStatus.RUNNING: frozenset(
        {DraftStatus.RUNNING, DraftStatus.READY, DraftStatus.NEEDS_MANUAL_ENTRY, DraftStatus.FAILED, DraftStatus.QUEUED}
    ),
    DraftStatus.READY: frozenset(),
    DraftStatus.NEEDS_MANUAL_ENTRY: frozenset(),
    DraftStatus.FAILED: frozenset({DraftStatus.QUEUED}),
}


def draft_transition_allowed(source: str, target: str) -> bool:
    return target in DRAFT_TRANSITIONS.get(source, frozenset())


def _sources_of(target: str) -> list[str]:
    """Every status the table lets a draft leave for `target` (the WHERE clause of a conditional UPDATE)."""
    return [str(source) for source, targets in DRAFT_TRANSITIONS.items() if target in targets]


class FailureKind(models.TextChoices):
    """Why a draft has no finding. The engine's kinds keep the engine's values (`inference_worker.FailureKind`);
    the rest are what the Django side adds around the engine."""

    UNPARSEABLE = EngineFailure.UNPARSEABLE.value, "Reply was not JSON"
    SCHEMA_INVALID = EngineFailure.SCHEMA_INVALID.value, "Reply did not match the six-field schema"
    TRUNCATED = EngineFailure.TRUNCATED.value, "Reply was cut off at the token limit"
    EMPTY = EngineFailure.EMPTY.value, "Reply was empty"
    ENGINE_ERROR = EngineFailure.ENGINE_ERROR.value, "Inference backend error"
    MODEL_LOAD = "model_load", "Model could not be loaded"
    TIMEOUT = "timeout", "Time limit reached"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted", "Gave up after repeated failures"
    IMAGE_UNREADABLE = "image_unreadable", "Stored image could not be read"

    @classmethod
    def from_engine(cls, kind: EngineFailure | None) -> FailureKind:
        """The stored kind of an engine result's failure (a result with neither finding nor kind is an engine error)."""
        return cls(kind.value) if kind is not None else cls.ENGINE_ERROR

    @classmethod
    def parse(cls, value: str) -> FailureKind | None:
        """The kind stored as `value`, or None for a blank or unknown value."""
        try:
            return cls(value)
        except ValueError:
            return None

    @property
    def retryable(self) -> bool:
        """Worth another attempt later (the reconciler requeues it after a backoff).

        A reply the model got wrong is not: decoding is greedy, so a second run would give the same reply.
        """
        return self in _RETRYABLE

    @property
    def manual_entry(self) -> bool:
        """The model answered (or the photo was read) but not usably: a human enters the finding."""
        return self in _MANUAL_ENTRY

    @classmethod
    def retryable_values(cls) -> list[str]:
        """The stored values of the retryable kinds, for queryset filters."""
        return [str(kind.value) for kind in cls if kind.retryable]


_RETRYABLE = frozenset({FailureKind.MODEL_LOAD, FailureKind.TIMEOUT, FailureKind.ENGINE_ERROR})
_MANUAL_ENTRY = frozenset({FailureKind.UNPARSEABLE, FailureKind.SCHEMA_INVALID, FailureKind.TRUNCATED,
                           FailureKind.EMPTY, FailureKind.IMAGE_UNREADABLE})


class DraftQuerySet(models.QuerySet["Draft"]):
    def visible_to(self, user: Any) -> DraftQuerySet:
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(image__case__organisation_id=user.organisation_id)

    def pending(self) -> DraftQuerySet:
        return self.filter(status__in=[DraftStatus.QUEUED, DraftStatus.RUNNING])

    def for_model(self, identity: ModelIdentity) -> DraftQuerySet:
        """Drafts of one model identity (the drafts a worker configured with it may take)."""
        return self.filter(model_id=identity.model_id, model_revision=identity.model_revision,
                           prompt_version=identity.prompt_version)

    def held_by(self, claim_token: str) -> DraftQuerySet:
        return self.filter(status=DraftStatus.RUNNING, claim_token=claim_token)

    def claim_batch(self, *, claim_token: str, now: datetime | None = None) -> int:
        """Claim every draft of this queryset that may become `running`, for the run `claim_token`; the row count.

        One conditional UPDATE: the status condition (from the transitions table) skips rows that another worker
        took meanwhile (PostgreSQL re-checks it on rows it had to wait for), and the row count says how many are
        ours. Concurrent workers can therefore never hold the same draft. Each claim counts as an attempt.
        """
        return self.filter(status__in=_sources_of(DraftStatus.RUNNING)).update(
            status=DraftStatus.RUNNING, claim_token=claim_token, started_at=now or timezone.now(),
            attempts=F("attempts") + 1, failure_kind="", failure_message="",
        )


class Draft(FindingFieldsMixin):
    """The AI model's unreviewed proposal for one image. Never a finding until a human signs a Review."""

    image = models.ForeignKey("cases.LesionImage", on_delete=models.PROTECT, related_name="drafts")
    model_id = models.CharField(max_length=200)
    model_revision = models.CharField(max_length=100)
    # The commit(s) the loaded weights actually came from, as the engine reported them (`model_revision` is what
    # was asked for, e.g. "main"; an adapter names its base too). Blank when the engine could not tell.
    resolved_revision = models.CharField(max_length=200, blank=True)
    prompt_version = models.CharField(max_length=40)
    backend = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=24, choices=DraftStatus.choices, default=DraftStatus.QUEUED, db_index=True)
    raw_output = models.TextField(blank=True, help_text="The model's reply exactly as generated.")
    failure_kind = models.CharField(max_length=24, choices=FailureKind.choices, blank=True)
    failure_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=64, blank=True, help_text="Which worker run holds it while running.")
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    queue_wait_ms = models.FloatField(null=True, blank=True)
    preprocess_ms = models.FloatField(null=True, blank=True)
    generate_ms = models.FloatField(null=True, blank=True)
    batch_size = models.PositiveSmallIntegerField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "model_id", "model_revision", "prompt_version"], name="draft_unique_per_model"
            ),
            models.CheckConstraint(condition=models.Q(status__in=DraftStatus.values), name="draft_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"], name="draft_status_queued_idx")]

    def __str__(self) -> str:
        return f"Draft {self.pk} of image {self.image_id} ({self.status})"

    @property
    def is_usable(self) -> bool:
        return self.status == DraftStatus.READY

    @property
    def failure(self) -> FailureKind | None:
        return FailureKind.parse(self.failure_kind)

    def can_transition(self, to: str) -> bool:
        return draft_transition_allowed(self.status, to)

    def assert_transition(self, to: str) -> None:
        if not self.can_transition(to):
            raise InvalidTransition(f"A draft cannot go from {self.status} to {to}.")

    # The transitions. Each is one conditional UPDATE of this row, guarded by the status this instance was read
    # with (and the claim it holds): it returns False, writing nothing, when the row moved on meanwhile.

    def store(self, *, claim_token: str, finding: Mapping[str, str], **details: Any) -> bool:
        """running → ready, by the run holding it: the six fields plus `details` (raw output, timings, identity)."""
        return self._move(DraftStatus.READY, guard={"claim_token": claim_token}, **finding, **details,
                          failure_kind="", failure_message="")

    def fail(self, *, claim_token: str, kind: FailureKind, message: str, **details: Any) -> bool:
        """running → needs_manual_entry or failed, by the run holding it, with the kind and message of the failure.

        A kind a human must make up for (`manual_entry`) needs manual entry. Any other kind fails; a retryable one
        on the last allowed attempt fails for good, as `attempts_exhausted`.
        """
        target = DraftStatus.NEEDS_MANUAL_ENTRY if kind.manual_entry else DraftStatus.FAILED
        if kind.retryable and self.attempts >= settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS:
            kind, message = (FailureKind.ATTEMPTS_EXHAUSTED,
                             f"Gave up after {self.attempts} attempts. Last failure ({kind}): {message}")
        return self._move(target, guard={"claim_token": claim_token}, **details, failure_kind=kind,
                          failure_message=message[:_FAILURE_MESSAGE_LENGTH])

    def requeue(self, *, fresh: bool = False, now: datetime | None = None) -> bool:
        """running → queued (the claim this instance saw went stale) or failed → queued (a retry).

        `fresh`: an admin's requeue. Attempts start over, the timings are cleared and the draft joins the back of
        the queue; a retry keeps its place and its attempt count.
        """
        guard = {"claim_token": self.claim_token} if self.status == DraftStatus.RUNNING else {}
        values: dict[str, Any] = {"claim_token": ""}
        if self.status == DraftStatus.FAILED or fresh:
            values.update(failure_kind="", failure_message="")
        if fresh:
            values.update(attempts=0, queued_at=now or timezone.now(), started_at=None, finished_at=None)
        return self._move(DraftStatus.QUEUED, guard=guard, **values)

    def _move(self, to: str, *, guard: Mapping[str, Any], **values: Any) -> bool:
        self.assert_transition(to)
        moved = type(self).objects.filter(pk=self.pk, status=self.status, **guard).update(status=to, **values)
        if moved:
            self.status = to
            for name, value in values.items():
                setattr(self, name, value)
        return bool(moved)
