from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dermreview.accounts.roles import is_operator
from dermreview.cases.models.case import InvalidTransition


class EvaluationStatus(models.TextChoices):
    """A shadow evaluation's state machine. Every write of `status` goes through `EvaluationRun.move`.

        queued ──first chunk──▶ drafting ──every photo drafted──▶ scoring ──scores stored──▶ finished
           ▲                       │                                 │
           │                       ├──model cannot load, error───────┴──▶ failed ──resume──┐
           │                       └──cancel (also from queued, scoring)──▶ cancelled       │
           └────────────────────────────────────────────────────────────────────────────────┘

    * `drafting`: the GPU queue drafts the photos in chunks (one batch per task, at a lower priority than live
      drafting, so live drafts overtake it between chunks); `done` of `total` items are drafted.
    * `scoring`: the scoring queue scores every drafted item against the signed finding and summarises.
    * `failed` keeps what was done; resuming drafts only the items not done yet.
    """

    QUEUED = "queued", "Queued"
    DRAFTING = "drafting", "Drafting"
    SCORING = "scoring", "Scoring"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


_STOPPABLE = frozenset({EvaluationStatus.FAILED, EvaluationStatus.CANCELLED})
EVALUATION_TRANSITIONS: dict[str, frozenset[str]] = {
    EvaluationStatus.QUEUED: frozenset({EvaluationStatus.DRAFTING, *_STOPPABLE}),
    EvaluationStatus.DRAFTING: frozenset({EvaluationStatus.SCORING, *_STOPPABLE}),
    EvaluationStatus.SCORING: frozenset({EvaluationStatus.FINISHED, *_STOPPABLE}),
    EvaluationStatus.FINISHED: frozenset(),
    EvaluationStatus.FAILED: frozenset({EvaluationStatus.QUEUED, EvaluationStatus.CANCELLED}),
    EvaluationStatus.CANCELLED: frozenset(),
}
IN_PROGRESS = frozenset({EvaluationStatus.QUEUED, EvaluationStatus.DRAFTING, EvaluationStatus.SCORING})


class EvaluationRunQuerySet(models.QuerySet["EvaluationRun"]):
    def visible_to(self, user: Any) -> EvaluationRunQuerySet:
        """The runs on the user's clinic's cases; an operator sees every clinic's (figures only, no patient data)."""
        if not user.is_authenticated:
            return self.none()
        if is_operator(user):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def in_progress(self) -> EvaluationRunQuerySet:
        return self.filter(status__in=IN_PROGRESS)


class EvaluationRun(models.Model):
    """A shadow evaluation: a candidate model version, and the active one beside it, on one clinic's signed cases.

    The unit is one photo of a final case against the case's signed finding (the current version's last sign-off).
    Its drafts are `EvaluationItem` rows, never `Draft` rows: nobody is ever shown them as drafts. `results` holds
    the figures once it is finished (see `governance.services.summary`).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     help_text="The clinic whose signed cases are the test set.")
    candidate = models.ForeignKey("drafting.ModelVersion", on_delete=models.PROTECT, related_name="evaluations")
    baseline = models.ForeignKey(
        "drafting.ModelVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The clinic's approved version when the run started, scored on the same photos.",
    )
    since = models.DateField(help_text="Cases whose final sign-off is on or after this day.")
    limit = models.PositiveIntegerField(null=True, blank=True, help_text="At most this many cases (the latest).")
    status = models.CharField(max_length=12, choices=EvaluationStatus.choices, default=EvaluationStatus.QUEUED)
    cases = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0, help_text="Items to draft: photos × versions.")
    done = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EvaluationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EvaluationStatus.values), name="evaluation_run_status"),
        ]

    def __str__(self) -> str:
        ended = f", {self.finished_at:%Y-%m-%d}" if self.finished_at else ""
        return f"Evaluation {self.pk}: {self.cases} cases, {self.get_status_display().lower()}{ended}"

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    def can_transition(self, to: str) -> bool:
        return to in EVALUATION_TRANSITIONS.get(self.status, frozenset())

    def move(self, to: str, **values: Any) -> bool:
        """One conditional UPDATE from the status this instance was read with; False when the row moved on."""
        if not self.can_transition(to):
            raise InvalidTransition(f"An evaluation cannot go from {self.status} to {to}.")
        if to == EvaluationStatus.DRAFTING and self.started_at is None:
            values.setdefault("started_at", timezone.now())
        if to in (EvaluationStatus.FINISHED, *_STOPPABLE):
            values.setdefault("finished_at", timezone.now())
        moved = type(self).objects.filter(pk=self.pk, status=self.status).update(
            status=to, updated_at=timezone.now(), **values)
        if moved:
            self.status = to
            for name, value in values.items():
                setattr(self, name, value)
        return bool(moved)
