"""The live model card: draft-vs-final BERTScore F1 per field, from the organisation's own sign-offs.

All statistics are computed by the database (GROUP BY with AVG/MIN/MAX/STDDEV_POP/COUNT), never by loading
scores into Python: two queries whatever the number of reviews.

Standard deviations are *sample* standard deviations (n-1), NULL for a single score. They are computed as the
population deviation times sqrt(n / (n-1)) rather than with STDDEV_SAMP because, on SQLite, Django's registered
STDDEV_SAMP aggregate raises an error for a one-row group (PostgreSQL returns NULL): this way both databases run
the same query and give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Case, Count, FloatField, Max, Min, StdDev, Value, When
from django.db.models.functions import Cast, Sqrt
from django.db.models.lookups import GreaterThan

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.oversight.selectors.filters import OversightFilters, Scorer, scores_for

OVERALL = "overall"


@dataclass(frozen=True)
class PublishedFigure:
    mean: float
    min: float | None = None
    max: float | None = None
    std: float | None = None


# The model card of 0xAgamy/unsloth_Qwen3vl_finetune, per field (BERTScore F1, draft vs reference). Its scorer
# (model and layer) is not stated, so these compare with ours only if the same scorer was used.
PUBLISHED_CARD: dict[str, PublishedFigure] = {
    "texture": PublishedFigure(0.9449, 0.8409, 1.0, 0.0670),
    "lesion_type": PublishedFigure(0.9361, 0.8490, 1.0, 0.0378),
    "borders": PublishedFigure(0.9108, 0.8433, 1.0, 0.0377),
    "symmetry": PublishedFigure(0.9092, 0.8397, 1.0, 0.0417),
    "summary": PublishedFigure(0.9087, 0.8498, 0.9672, 0.0227),
    "color": PublishedFigure(0.8972, 0.8315, 0.9647, 0.0245),
    # The card's overall figure is the mean of its six field means.
    OVERALL: PublishedFigure(0.9178),
}


@dataclass(frozen=True)
class FieldStats:
    field: str
    label: str
    n: int
    mean: float | None
    min: float | None
    max: float | None
    std: float | None
    exact_rate: float | None
    published: PublishedFigure | None

    @property
    def delta(self) -> float | None:
        """Ours minus the card's published mean (positive: our reviewers agree more with the drafts)."""
        if self.mean is None or self.published is None:
            return None
        return self.mean - self.published.mean


@dataclass
class ModelCardGroup:
    """One table: one scorer and one model version (id, revision, prompt version)."""

    scorer: Scorer
    model_id: str
    model_revision: str
    prompt_version: str
    rows: list[FieldStats] = field(default_factory=list)

    @property
    def n_reviews(self) -> int:
        return max((row.n for row in self.rows if row.field != OVERALL), default=0)

    @property
    def is_default_scorer(self) -> bool:
        from django.conf import settings

        return self.scorer == Scorer(settings.BERTSCORE_MODEL, settings.BERTSCORE_NUM_LAYERS)


_GROUP = ("scorer_model", "scorer_num_layers", "mv_model_id", "mv_model_revision", "mv_prompt_version")


def _exact_rate() -> Avg:
    return Avg(Case(When(exact_match=True, then=Value(1.0)), default=Value(0.0), output_field=FloatField()))


def _sample_std() -> Case:
    n = Cast(Count("id"), FloatField())
    return Case(
        When(GreaterThan(Count("id"), 1), then=StdDev("f1", sample=False) * Sqrt(n / (n - Value(1.0)))),
        default=Value(None),
        output_field=FloatField(),
    )


_AGGREGATES: dict[str, Any] = {
    "n": Count("id"),
    "mean": Avg("f1"),
    "min": Min("f1"),
    "max": Max("f1"),
    "std": _sample_std(),
    "exact_rate": _exact_rate(),
}


def _stats(field_name: str, row: dict[str, Any]) -> FieldStats:
    return FieldStats(
        field=field_name,
        label=FIELD_LABELS.get(field_name, "Overall (all fields pooled)" if field_name == OVERALL else field_name),
        n=row["n"],
        mean=row["mean"],
        min=row["min"],
        max=row["max"],
        std=row["std"],
        exact_rate=row["exact_rate"],
        published=PUBLISHED_CARD.get(field_name),
    )


def model_card_stats(*, organisation_id: int, filters: OversightFilters) -> list[ModelCardGroup]:
    """Per scorer and model version, per field and overall: n, mean, min, max, sample std, exact-match rate.

    "Overall" pools every field score of the group; when each field has the same n (every sign-off scored on
    all six fields) it equals the mean of the six field means, which is how the card's 0.9178 is computed.
    """
    scores = scores_for(organisation_id=organisation_id, filters=filters).filter(field__in=FINDING_FIELDS)
    per_field = scores.values(*_GROUP, "field").annotate(**_AGGREGATES)
    overall = scores.values(*_GROUP).annotate(**_AGGREGATES)

    groups: dict[tuple[Any, ...], ModelCardGroup] = {}

    def group_for(row: dict[str, Any]) -> ModelCardGroup:
        key = tuple(row[k] for k in _GROUP)
        if key not in groups:
            groups[key] = ModelCardGroup(
                scorer=Scorer(row["scorer_model"], row["scorer_num_layers"]),
                model_id=row["mv_model_id"],
                model_revision=row["mv_model_revision"],
                prompt_version=row["mv_prompt_version"],
            )
        return groups[key]

    field_rows: dict[tuple[Any, ...], dict[str, FieldStats]] = {}
    for row in per_field:
        group_for(row)
        field_rows.setdefault(tuple(row[k] for k in _GROUP), {})[row["field"]] = _stats(row["field"], row)
    for row in overall:
        group = group_for(row)
        by_field = field_rows.get(tuple(row[k] for k in _GROUP), {})
        group.rows = [by_field[f] for f in FINDING_FIELDS if f in by_field] + [_stats(OVERALL, row)]
    return sorted(
        groups.values(),
        key=lambda g: (not g.is_default_scorer, g.scorer.model, g.scorer.num_layers, g.model_id,
                       g.model_revision, g.prompt_version),
    )


@dataclass(frozen=True)
class FilterChoices:
    model_ids: list[str]
    model_revisions: list[str]
    prompt_versions: list[str]
    scorers: list[Scorer]


def filter_choices(*, organisation_id: int) -> FilterChoices:
    """What the filter menus offer: the model versions and scorers present in the organisation's scores (1 query)."""
    rows = (
        scores_for(organisation_id=organisation_id, filters=OversightFilters())
        .values("scorer_model", "scorer_num_layers", "mv_model_id", "mv_model_revision", "mv_prompt_version")
        .distinct()
    )
    ids: set[str] = set()
    revisions: set[str] = set()
    prompts: set[str] = set()
    scorers: set[Scorer] = set()
    for row in rows:
        ids.add(row["mv_model_id"])
        revisions.add(row["mv_model_revision"])
        prompts.add(row["mv_prompt_version"])
        scorers.add(Scorer(row["scorer_model"], row["scorer_num_layers"]))
    return FilterChoices(
        model_ids=sorted(i for i in ids if i),
        model_revisions=sorted(r for r in revisions if r),
        prompt_versions=sorted(p for p in prompts if p),
        scorers=sorted(scorers, key=lambda s: (s.model, s.num_layers)),
    )
