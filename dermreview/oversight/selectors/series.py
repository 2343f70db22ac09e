"""Time series and distributions behind the oversight charts, each one grouped query in the database.

Every series is for exactly one scorer: scores of different scorers are different scales.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db.models import Avg, Case, Count, FloatField, IntegerField, Value, When
from django.db.models.functions import Cast, Floor, Greatest, Least, TruncWeek

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.oversight.selectors.filters import (
    DRAFT_SHOWN_OUTCOMES,
    OversightFilters,
    Scorer,
    reviews_for,
    scores_for,
)

# Histogram bins of width 1/HISTOGRAM_BINS over [0, 1]; F1 outside that range lands in the end bins.
HISTOGRAM_BINS = 50


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class WeeklyAgreement:
    week: date  # the Monday starting the ISO week
    field: str
    mean: float
    n: int


def weekly_agreement(*, organisation_id: int, filters: OversightFilters, scorer: Scorer) -> list[WeeklyAgreement]:
    """Mean draft-vs-final F1 per ISO week and field, for one scorer."""
    filters = _with_scorer(filters, scorer)
    rows = (
        scores_for(organisation_id=organisation_id, filters=filters)
        .filter(field__in=FINDING_FIELDS)
        .annotate(week=TruncWeek("review__signed_at"))
        .values("week", "field")
        .annotate(mean=Avg("f1"), n=Count("id"))
        .order_by("week", "field")
    )
    return [WeeklyAgreement(_as_date(r["week"]), r["field"], r["mean"], r["n"]) for r in rows]


@dataclass(frozen=True)
class Histogram:
    """Counts of F1 per field in HISTOGRAM_BINS equal bins over [0, 1]."""

    counts: dict[str, list[int]]

    @property
    def total(self) -> int:
        return sum(sum(c) for c in self.counts.values())

    def occupied_bins(self) -> list[int]:
        """Indices of bins holding any score: the table lists only these."""
        return [i for i in range(HISTOGRAM_BINS) if any(c[i] for c in self.counts.values())]

    @staticmethod
    def bin_bounds(index: int) -> tuple[float, float]:
        return index / HISTOGRAM_BINS, (index + 1) / HISTOGRAM_BINS


def agreement_histogram(*, organisation_id: int, filters: OversightFilters, scorer: Scorer) -> Histogram:
    """The distribution of draft-vs-final F1 per field, binned by the database."""
    filters = _with_scorer(filters, scorer)
    bucket = Least(
        Greatest(Cast(Floor(Cast("f1", FloatField()) * HISTOGRAM_BINS), IntegerField()), Value(0)),
        Value(HISTOGRAM_BINS - 1),
    )
    rows = (
        scores_for(organisation_id=organisation_id, filters=filters)
        .filter(field__in=FINDING_FIELDS)
        .annotate(bucket=bucket)
        .values("field", "bucket")
        .annotate(n=Count("id"))
    )
    counts = {f: [0] * HISTOGRAM_BINS for f in FINDING_FIELDS}
    for row in rows:
        counts[row["field"]][int(row["bucket"])] += row["n"]
    return Histogram({f: c for f, c in counts.items() if any(c)})


@dataclass(frozen=True)
class ReviewerWeek:
    week: date
    reviewer_id: int
    reviewer: str
    unchanged_rate: float
    n: int


def reviewer_acceptance_weekly(*, organisation_id: int, filters: OversightFilters) -> list[ReviewerWeek]:
    """Per reviewer and ISO week: the share of sign-offs of an AI draft that accepted it unchanged."""
    rows = (
        reviews_for(organisation_id=organisation_id, filters=filters)
        .filter(outcome__in=DRAFT_SHOWN_OUTCOMES)
        .annotate(week=TruncWeek("signed_at"))
        .values("week", "reviewer_id", "reviewer__username")
        .annotate(
            rate=Avg(Case(When(all_unchanged=True, then=Value(1.0)), default=Value(0.0), output_field=FloatField())),
            n=Count("id"),
        )
        .order_by("week", "reviewer__username")
    )
    return [
        ReviewerWeek(_as_date(r["week"]), r["reviewer_id"], r["reviewer__username"], r["rate"], r["n"]) for r in rows
    ]


def _with_scorer(filters: OversightFilters, scorer: Scorer) -> OversightFilters:
    return replace(filters, scorer=scorer)
