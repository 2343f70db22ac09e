"""Automation-bias and drift alarms: evaluation, acknowledgement and resolution.

Three conditions are looked for, each with thresholds from settings (defaults in settings/base.py):

* **Rubber-stamping** (reviewer): the reviewer's last DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW sign-offs of an AI draft
  were accepted unchanged at a rate above DERMREVIEW_ALARM_RUBBER_STAMP_RATE, and their median time on task was
  under DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S seconds. Fewer sign-offs than the window: no verdict.
* **High-risk drafts never edited** (reviewer): the reviewer's last DERMREVIEW_ALARM_HIGH_RISK_MIN sign-offs of a
  high-risk draft (the case is flagged high-risk, or the draft's lesion type maps to a high-risk class of the
  diagnosis vocabulary or to none, as the sign-off decides it: `review.services.rules.high_risk_q`) were all
  accepted without one edit.
* **Drift** (model version, field and scorer): the mean draft-vs-final F1 over the last
  DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS is more than DERMREVIEW_ALARM_DRIFT_MARGIN below the mean of the model
  version's first DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS (counted from its first signed review). The two periods
  must not overlap and each needs DERMREVIEW_ALARM_DRIFT_MIN_N scores. Scorers are never mixed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dermreview.accounts.models import Organisation
from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.oversight.models import UNRESOLVED, Alarm, AlarmKind, AlarmStatus, AlarmSubject
from dermreview.oversight.selectors.filters import (
    DRAFT_SHOWN_OUTCOMES,
    OversightFilters,
    draft_attr,
    scores_for,
)
from dermreview.oversight.selectors.model_card import FIELD_LABELS
from dermreview.review.models import Review
from dermreview.review.services.rules import high_risk_q

NOTE_MAX_LENGTH = 2000


# --- Reviewer behaviour ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerBehaviour:
    """A reviewer's most recent sign-offs of AI drafts (at most `window` of them)."""

    reviewer_id: int
    username: str
    window: int
    n: int
    unchanged: int
    median_time_s: float | None

    @property
    def unchanged_rate(self) -> float | None:
        return self.unchanged / self.n if self.n else None

    @property
    def edited(self) -> int:
        return self.n - self.unchanged

    @property
    def window_full(self) -> bool:
        return self.n >= self.window

    @property
    def looks_like_rubber_stamping(self) -> bool:
        return (
            self.window_full
            and self.unchanged_rate is not None
            and self.unchanged_rate > settings.DERMREVIEW_ALARM_RUBBER_STAMP_RATE
            and self.median_time_s is not None
            and self.median_time_s < settings.DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S
        )

    @property
    def never_edits(self) -> bool:
        return self.window_full and self.unchanged == self.n


def _draft_signoffs(organisation_id: int) -> QuerySet[Review]:
    return Review.objects.filter(
        case__organisation_id=organisation_id, voided_at__isnull=True, outcome__in=DRAFT_SHOWN_OUTCOMES
    ).order_by()


def _high_risk(qs: QuerySet[Review], organisation_id: int) -> QuerySet[Review]:
    # The sign-off's own predicate (in SQL), so a draft that sent the case to a second reviewer counts here too.
    qs = qs.annotate(draft_lesion_type=draft_attr("lesion_type"))
    return qs.filter(
        Q(case__high_risk=True) | high_risk_q("draft_lesion_type", rows=qs, organisation_id=organisation_id)
    )


def reviewer_behaviour(*, organisation_id: int, window: int, high_risk_only: bool = False) -> list[ReviewerBehaviour]:
    """Each reviewer's last `window` sign-offs of an AI draft: how many unchanged, and the median time on task.

    One query: a ROW_NUMBER() window per reviewer picks the recent rows in the database, so at most
    `window` rows per reviewer reach Python (for the median, which SQLite cannot compute).
    """
    qs = _draft_signoffs(organisation_id)
    if high_risk_only:
        qs = _high_risk(qs, organisation_id)
    rows = (
        qs.annotate(
            recency=Window(RowNumber(), partition_by=[F("reviewer_id")], order_by=[F("signed_at").desc(), F("pk").desc()])
        )
        .filter(recency__lte=window)
        .values_list("reviewer_id", "reviewer__username", "all_unchanged", "time_on_task_ms")
    )
    collected: dict[int, dict[str, Any]] = {}
    for reviewer_id, username, unchanged, time_ms in rows:
        entry = collected.setdefault(reviewer_id, {"username": username, "unchanged": 0, "times": []})
        entry["unchanged"] += bool(unchanged)
        entry["times"].append(time_ms / 1000)
    return sorted(
        (
            ReviewerBehaviour(
                reviewer_id=reviewer_id, username=e["username"], window=window, n=len(e["times"]),
                unchanged=e["unchanged"], median_time_s=statistics.median(e["times"]) if e["times"] else None,
            )
            for reviewer_id, e in collected.items()
        ),
        key=lambda b: b.username,
    )


# --- Evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A condition found by one evaluation, before it is matched to an alarm row."""

    kind: str
    subject_type: str
    subject_key: str
    subject_label: str
    details: dict[str, Any]
    reviewer_id: int | None = None


@dataclass
class EvaluationResult:
    opened: list[Alarm] = field(default_factory=list)
    refreshed: list[Alarm] = field(default_factory=list)
    cleared: list[Alarm] = field(default_factory=list)


def _rubber_stamp_findings(organisation_id: int) -> list[Finding]:
    window = settings.DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW
    findings = []
    for b in reviewer_behaviour(organisation_id=organisation_id, window=window):
        if b.looks_like_rubber_stamping:
            findings.append(Finding(
                kind=AlarmKind.RUBBER_STAMP, subject_type=AlarmSubject.REVIEWER,
                subject_key=f"reviewer:{b.reviewer_id}", subject_label=b.username, reviewer_id=b.reviewer_id,
                details={
                    "window": window, "unchanged": b.unchanged, "unchanged_rate": round(b.unchanged_rate or 0, 4),
                    "median_time_s": round(b.median_time_s or 0, 1),
                    "rate_threshold": settings.DERMREVIEW_ALARM_RUBBER_STAMP_RATE,
                    "median_floor_s": settings.DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S,
                },
            ))
    return findings


def _high_risk_findings(organisation_id: int) -> list[Finding]:
    minimum = settings.DERMREVIEW_ALARM_HIGH_RISK_MIN
    return [
        Finding(
            kind=AlarmKind.HIGH_RISK_NEVER_EDITED, subject_type=AlarmSubject.REVIEWER,
            subject_key=f"reviewer:{b.reviewer_id}", subject_label=b.username, reviewer_id=b.reviewer_id,
            details={"high_risk_signoffs": b.n, "edited": b.edited,
                     "median_time_s": round(b.median_time_s or 0, 1)},
        )
        for b in reviewer_behaviour(organisation_id=organisation_id, window=minimum, high_risk_only=True)
        if b.never_edits
    ]


_VERSION = ("mv_model_id", "mv_model_revision", "mv_prompt_version")
_SCORE_GROUP = ("scorer_model", "scorer_num_layers", *_VERSION, "field")


def _drift_findings(organisation_id: int, now: datetime) -> list[Finding]:
    baseline_len = timedelta(days=settings.DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS)
    window_len = timedelta(days=settings.DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS)
    margin = settings.DERMREVIEW_ALARM_DRIFT_MARGIN
    min_n = settings.DERMREVIEW_ALARM_DRIFT_MIN_N
    window_start = now - window_len
    scores = scores_for(organisation_id=organisation_id, filters=OversightFilters()).filter(field__in=FINDING_FIELDS)

    # A version qualifies once its baseline month is over and lies wholly before the recent window.
    starts = {
        tuple(row[k] for k in _VERSION): row["first"]
        for row in scores.values(*_VERSION).annotate(first=Min("review__signed_at"))
        if row["first"] + baseline_len <= window_start
    }
    if not starts:
        return []
    in_baseline = reduce(or_, (
        Q(mv_model_id=v[0], mv_model_revision=v[1], mv_prompt_version=v[2], review__signed_at__lt=first + baseline_len)
        for v, first in starts.items()
    ))
    in_versions = reduce(or_, (Q(mv_model_id=v[0], mv_model_revision=v[1], mv_prompt_version=v[2]) for v in starts))
    baseline = {
        tuple(r[k] for k in _SCORE_GROUP): r
        for r in scores.filter(in_baseline).values(*_SCORE_GROUP).annotate(mean=Avg("f1"), n=Count("id"))
    }
    recent = scores.filter(in_versions, review__signed_at__gte=window_start, review__signed_at__lte=now)
    findings = []
    for r in recent.values(*_SCORE_GROUP).annotate(mean=Avg("f1"), n=Count("id")):
        key = tuple(r[k] for k in _SCORE_GROUP)
        base = baseline.get(key)
        if base is None or base["n"] < min_n or r["n"] < min_n:
            continue
        if r["mean"] < base["mean"] - margin:
            scorer_model, layers, model_id, revision, prompt, field_name = key
            first = starts[(model_id, revision, prompt)]
            findings.append(Finding(
                kind=AlarmKind.DRIFT, subject_type=AlarmSubject.MODEL_FIELD,
                subject_key=f"drift|{model_id}|{revision}|{prompt}|{scorer_model}|{layers}|{field_name}",
                subject_label=(f"{model_id} @ {revision} (prompt {prompt or '—'}) · {FIELD_LABELS[field_name]}"
                               f" · scorer {scorer_model}/{layers}"),
                details={
                    "model_id": model_id, "model_revision": revision, "prompt_version": prompt,
                    "field": field_name, "scorer_model": scorer_model, "scorer_num_layers": layers,
                    "baseline_mean": round(base["mean"], 4), "baseline_n": base["n"],
                    "baseline_from": first.date().isoformat(),
                    "baseline_to": (first + baseline_len).date().isoformat(),
                    "recent_mean": round(r["mean"], 4), "recent_n": r["n"],
                    "recent_from": window_start.date().isoformat(), "drop": round(base["mean"] - r["mean"], 4),
                    "margin": margin,
                },
            ))
    return findings


def alarms_evaluate(*, organisation_id: int, now: datetime | None = None) -> EvaluationResult:
    """Look for every alarm condition in one organisation and bring its alarm rows up to date.

    A condition with an unresolved alarm refreshes that row (new figures, still firing); a new one opens an
    alarm (audited); an unresolved alarm whose condition is gone is marked as no longer firing but stays
    open until a person resolves it. Safe to run twice: the partial unique constraint allows one unresolved
    alarm per kind and subject.
    """
    now = now or timezone.now()
    organisation = Organisation.objects.get(pk=organisation_id)
    findings = (
        _rubber_stamp_findings(organisation_id)
        + _high_risk_findings(organisation_id)
        + _drift_findings(organisation_id, now)
    )
    result = EvaluationResult()
    with transaction.atomic():
        existing = {
            (a.kind, a.subject_key): a
            for a in Alarm.objects.select_for_update().filter(organisation_id=organisation_id, status__in=UNRESOLVED)
        }
        for found in findings:
            alarm = existing.pop((found.kind, found.subject_key), None)
            if alarm is not None:
                alarm.details, alarm.still_firing, alarm.last_evaluated_at = found.details, True, now
                alarm.save(update_fields=["details", "still_firing", "last_evaluated_at"])
                result.refreshed.append(alarm)
                continue
            try:
                with transaction.atomic():
                    alarm = Alarm.objects.create(
                        organisation=organisation, kind=found.kind, subject_type=found.subject_type,
                        subject_key=found.subject_key, subject_label=found.subject_label[:400],
                        reviewer_id=found.reviewer_id, details=found.details, last_evaluated_at=now,
                    )
                    audit_log(action="oversight.alarm.open", obj=alarm, organisation=organisation,
                              details={"kind": found.kind, "subject": found.subject_label, **found.details})
            except IntegrityError:
                continue  # a concurrent evaluation opened it first
            result.opened.append(alarm)
        for alarm in existing.values():
            if alarm.still_firing:
                alarm.still_firing, alarm.last_evaluated_at = False, now
                alarm.save(update_fields=["still_firing", "last_evaluated_at"])
                result.cleared.append(alarm)
    return result


# --- Acknowledge and resolve ----------------------------------------------------------------------


def _clean_note(note: str, *, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": f"A note is required to {what} an alarm: say what you checked or did."})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"The note is too long ({len(note)} characters; at most {NOTE_MAX_LENGTH})."})
    return note


def alarm_acknowledge(*, alarm_id: int, user: Any, note: str) -> Alarm:
    """Mark an open alarm as seen, with a required note. Auditors and admins of its organisation only."""
    require_role(user, Role.AUDITOR)
    note = _clean_note(note, what="acknowledge")
    with transaction.atomic():
        alarm = get_object_or_404(Alarm.objects.visible_to(user).select_for_update(), pk=alarm_id)
        if not alarm.can_acknowledge:
            raise ValidationError(f"This alarm is {alarm.get_status_display().lower()}; only open alarms can be acknowledged.")
        alarm.status, alarm.note = AlarmStatus.ACKNOWLEDGED, note
        alarm.acknowledged_by, alarm.acknowledged_at = user, timezone.now()
        alarm.save(update_fields=["status", "note", "acknowledged_by", "acknowledged_at"])
        audit_log(action="oversight.alarm.acknowledge", actor=user, obj=alarm,
                  details={"kind": alarm.kind, "subject": alarm.subject_label, "note": note})
    return alarm


def alarm_resolve(*, alarm_id: int, user: Any, note: str) -> Alarm:
    """Close an open or acknowledged alarm, with a required note saying why. Auditors and admins only."""
    require_role(user, Role.AUDITOR)
    note = _clean_note(note, what="resolve")
    with transaction.atomic():
        alarm = get_object_or_404(Alarm.objects.visible_to(user).select_for_update(), pk=alarm_id)
        if not alarm.can_resolve:
            raise ValidationError("This alarm is already resolved.")
        alarm.status, alarm.resolution_note = AlarmStatus.RESOLVED, note
        alarm.resolved_by, alarm.resolved_at = user, timezone.now()
        alarm.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
        audit_log(action="oversight.alarm.resolve", actor=user, obj=alarm,
                  details={"kind": alarm.kind, "subject": alarm.subject_label, "note": note})
    return alarm
