"""Blind-first influence: how often reviewers moved toward the AI after recording their own finding first.

For each standing blind-first sign-off and each of the six fields, three texts are compared, after trimming and
lower-casing: the reviewer's blind finding (B), the AI draft as shown (D) and the signed final (F).

* A field is **eligible** when B ≠ D: the reviewer's own view differed from the AI's, so there was a choice.
* **Adopted the AI text**: eligible and F = D.
* **Moved closer**: eligible, F ≠ B, F ≠ D, and BERTScore F1(F, D) > F1(B, D) for the chosen scorer (the
  ``draft_vs_final`` and ``blind_vs_draft`` scores of that review and field). Without both scores a partial
  move cannot be seen and the field counts as not moved.
* **Moved toward the AI** = adopted or moved closer. **Kept own finding**: eligible and F = B.
* **Switched to the AI's value**: eligible, and the reviewer pressed "Use the AI's value" for the field on the
  sign form and signed the draft's text (`Review.taken_from_ai`): an adoption seen as an act, not inferred.

The headline share is moved / eligible with a 95 % Wilson interval. Fields of one review are not independent,
so a review-level share (reviews with at least one field moved / reviews with at least one eligible field) is
given beside it. Everything is counted by the database in two queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Avg, CharField, Count, F, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce, Lower, Trim

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.oversight.selectors.filters import (
    DRAFT_SHOWN_OUTCOMES,
    OversightFilters,
    Scorer,
    draft_attr,
    reviews_for,
)
from dermreview.oversight.selectors.model_card import FIELD_LABELS, OVERALL
from dermreview.oversight.selectors.stats import wilson_interval
from dermreview.review.models import AgreementScore, Comparison, Review


@dataclass(frozen=True)
class Proportion:
    successes: int
    n: int

    @property
    def share(self) -> float | None:
        return self.successes / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.successes, self.n)

    @property
    def low(self) -> float | None:
        return self.interval[0] if self.interval else None

    @property
    def high(self) -> float | None:
        return self.interval[1] if self.interval else None


@dataclass(frozen=True)
class InfluenceRow:
    field: str
    label: str
    pairs: int
    blind_matches_draft: int
    eligible: int
    adopted: int
    closer: int
    kept: int
    blind_vs_draft_f1: float | None
    blind_vs_final_f1: float | None
    switched: int = 0  # eligible fields switched to the AI's value on the sign form ("Use the AI's value")

    @property
    def moved(self) -> Proportion:
        return Proportion(self.adopted + self.closer, self.eligible)

    @property
    def other(self) -> int:
        """Eligible fields changed in some other way (neither kept, nor closer to the draft)."""
        return self.eligible - self.adopted - self.closer - self.kept

    @property
    def blind_draft_exact_rate(self) -> float | None:
        return self.blind_matches_draft / self.pairs if self.pairs else None


@dataclass(frozen=True)
class BlindInfluence:
    scorer: Scorer | None
    reviews: int
    review_level: Proportion
    rows: list[InfluenceRow]  # the six fields, then OVERALL (pooled)

    @property
    def overall(self) -> InfluenceRow:
        return self.rows[-1]


def _norm(expression: Any) -> Any:
    return Lower(Trim(expression))


def _score(comparison: str, field_name: str, scorer: Scorer) -> Subquery:
    return Subquery(
        AgreementScore.objects.filter(
            review=OuterRef("pk"), field=field_name, comparison=comparison,
            scorer_model=scorer.model, scorer_num_layers=scorer.num_layers,
        ).values("f1")[:1]
    )


def blind_influence(*, organisation_id: int, filters: OversightFilters, scorer: Scorer | None) -> BlindInfluence:
    """The blind-first influence figures for the organisation's reviews matching the filters (see module doc)."""
    reviews = reviews_for(organisation_id=organisation_id, filters=filters).filter(
        blind_finding__isnull=False, outcome__in=DRAFT_SHOWN_OUTCOMES
    )
    annotations, conditions = _field_conditions(scorer)
    aggregates: dict[str, Any] = {"reviews": Count("pk")}
    for f, conds in conditions.items():
        for name, condition in conds.items():
            aggregates[f"{name}_{f}"] = Count("pk", filter=condition)
    aggregates["reviews_eligible"] = Count("pk", filter=reduce(or_, (c["eligible"] for c in conditions.values())))
    aggregates["reviews_moved"] = Count(
        "pk", filter=reduce(or_, (c["moved"] for c in conditions.values()))
    )
    counts = reviews.annotate(**annotations).aggregate(**aggregates)
    means = _mean_scores(reviews, scorer) if scorer is not None else {}
    return BlindInfluence(
        scorer=scorer, reviews=counts["reviews"],
        review_level=Proportion(counts["reviews_moved"], counts["reviews_eligible"]), rows=_rows(counts, means),
    )


def _field_conditions(scorer: Scorer | None) -> tuple[dict[str, Any], dict[str, dict[str, Q]]]:
    """Per field, the normalised texts (and scores) to annotate, and the conditions each count filters on."""
    annotations: dict[str, Any] = {}
    conditions: dict[str, dict[str, Q]] = {}
    for f in FINDING_FIELDS:
        annotations[f"b_{f}"] = _norm(Coalesce(F(f"blind_finding__{f}"), Value(""), output_field=CharField()))
        annotations[f"d_{f}"] = _norm(draft_attr(f))
        annotations[f"r_{f}"] = _norm(F(f))
        annotations.setdefault("taken_text", Cast("taken_from_ai", TextField()))
        eligible = ~Q(**{f"b_{f}": F(f"d_{f}")})
        adopted = eligible & Q(**{f"r_{f}": F(f"d_{f}")})
        kept = eligible & Q(**{f"r_{f}": F(f"b_{f}")})
        closer: Q | None = None  # without a scorer a partial move is invisible
        if scorer is not None:
            annotations[f"df_{f}"] = _score(Comparison.DRAFT_VS_FINAL, f, scorer)
            annotations[f"bd_{f}"] = _score(Comparison.BLIND_VS_DRAFT, f, scorer)
            closer = (
                eligible & ~Q(**{f"r_{f}": F(f"b_{f}")}) & ~Q(**{f"r_{f}": F(f"d_{f}")})
                & Q(**{f"df_{f}__gt": F(f"bd_{f}")})
            )
        conditions[f] = {"eligible": eligible, "adopted": adopted, "kept": kept,
                         "same": Q(**{f"b_{f}": F(f"d_{f}")}),
                         # The JSON list as text: `"name"` in it, on SQLite and PostgreSQL alike.
                         "switched": adopted & Q(taken_text__contains=f'"{f}"')}
        conditions[f]["moved"] = adopted
        if closer is not None:
            conditions[f]["closer"] = closer
            conditions[f]["moved"] = adopted | closer
    return annotations, conditions


def _mean_scores(reviews: QuerySet[Review], scorer: Scorer) -> dict[tuple[str, str], float]:
    """Mean blind-vs-draft and blind-vs-final F1 per field, for this scorer."""
    score_rows = (
        AgreementScore.objects.filter(
            review__in=reviews.values("pk"),
            comparison__in=[Comparison.BLIND_VS_DRAFT, Comparison.BLIND_VS_FINAL],
            scorer_model=scorer.model, scorer_num_layers=scorer.num_layers, field__in=FINDING_FIELDS,
        )
        .order_by()
        .values("comparison", "field")
        .annotate(mean=Avg("f1"))
    )
    return {(row["comparison"], row["field"]): row["mean"] for row in score_rows}


def _rows(counts: dict[str, Any], means: dict[tuple[str, str], float]) -> list[InfluenceRow]:
    """The six fields' rows, then the pooled one."""
    total = counts["reviews"]
    rows = [
        InfluenceRow(
            field=f, label=FIELD_LABELS[f], pairs=total, blind_matches_draft=counts[f"same_{f}"],
            eligible=counts[f"eligible_{f}"], adopted=counts[f"adopted_{f}"], closer=counts.get(f"closer_{f}", 0),
            kept=counts[f"kept_{f}"], switched=counts[f"switched_{f}"],
            blind_vs_draft_f1=means.get((Comparison.BLIND_VS_DRAFT, f)),
            blind_vs_final_f1=means.get((Comparison.BLIND_VS_FINAL, f)),
        )
        for f in FINDING_FIELDS
    ]
    rows.append(
        InfluenceRow(
            field=OVERALL, label="All fields pooled", pairs=sum(r.pairs for r in rows),
            blind_matches_draft=sum(r.blind_matches_draft for r in rows), eligible=sum(r.eligible for r in rows),
            adopted=sum(r.adopted for r in rows), closer=sum(r.closer for r in rows), kept=sum(r.kept for r in rows),
            blind_vs_draft_f1=None, blind_vs_final_f1=None, switched=sum(r.switched for r in rows),
        )
    )
    return rows
