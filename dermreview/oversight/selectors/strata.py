"""Stratification: the live model card and the outcome figures split by Fitzpatrick skin type or by capture.

The published model card warns that performance "may vary depending on skin tones, image quality, lighting
conditions, and the specific demographics represented in the training dataset"; a clinic can only see whether that
holds for its own patients by splitting its figures. Two splits:

- **Fitzpatrick skin type** of the patient (`Patient.fitzpatrick_type`, reached through `Case.patient`). A case
  without a patient, or a patient without a recorded type, is its own stratum, "not recorded": hiding it would
  make the recorded strata look like the whole clinic.
- **Capture**: clinical or dermoscopic, of the photo the AI draft was made from (`Draft.image.capture_type`, as
  the model card's capture filter reads it); a sign-off without a draft falls back to the case's first photo.

Every stratum carries its n and 95% intervals (Wilson for proportions, the normal approximation for a mean F1),
and small strata say so rather than show a figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from dermreview.cases.models import CaptureType, FitzpatrickType, LesionImage
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.oversight.selectors.filters import OversightFilters, Scorer, scores_for

# The card's own aggregates (n, mean, sample std, exact-match rate), so a stratum is computed as its table is.
from dermreview.oversight.selectors.model_card import _AGGREGATES
from inference_worker.evaluation.metrics import Z_95, Proportion, proportion

# The card's own words (0xAgamy/unsloth_Qwen3vl_finetune, "Limitations and Bias"), quoted wherever figures are split.
CARD_BIAS_WARNING = (
    "Performance may vary depending on skin tones, image quality, lighting conditions, and the specific "
    "demographics represented in the training dataset."
)
NOT_RECORDED = ""
NOT_RECORDED_LABEL = "Not recorded"
# Fewer than this many in a denominator: the figure is shown as "not enough data" (its interval would span most of
# the scale). Ten is the smallest count at which a Wilson interval of a proportion near 0.9 is narrower than ±0.2.
MIN_N = 10
LESION_TYPE = "lesion_type"


@dataclass(frozen=True)
class Split:
    key: str
    label: str
    # (value, label) of each stratum in display order; "not recorded" is added last.
    choices: tuple[tuple[str, str], ...]

    def label_of(self, value: str) -> str:
        return dict(self.choices).get(value, NOT_RECORDED_LABEL if value == NOT_RECORDED else value)

    def order_of(self, value: str) -> int:
        values = [v for v, _ in self.choices]
        return values.index(value) if value in values else len(values)


SPLITS: dict[str, Split] = {
    "fitzpatrick": Split("fitzpatrick", "Fitzpatrick skin type",
                         tuple((value, f"Type {value}") for value in FitzpatrickType.values)),
    "capture": Split("capture", "Capture", tuple(CaptureType.choices)),
}
SPLIT_CHOICES: tuple[tuple[str, str], ...] = (("", "No split"),) + tuple((s.key, s.label) for s in SPLITS.values())


def parse_split(value: str | None) -> Split | None:
    """The split a `?split=` parameter names; None for none. An unknown name is refused (ValueError), so a page can
    answer 400 instead of silently showing unsplit figures under a split heading."""
    if not value:
        return None
    if value not in SPLITS:
        raise ValueError(f"Unknown split {value!r}: choose one of {', '.join(SPLITS)}.")
    return SPLITS[value]


def enough(n: int, *, min_n: int = MIN_N) -> bool:
    return n >= min_n


@dataclass(frozen=True)
class Figure:
    """A proportion with its counts, Wilson interval, and whether its denominator reaches the minimum."""

    p: Proportion
    min_n: int = MIN_N

    @property
    def n(self) -> int:
        return self.p.total

    @property
    def enough(self) -> bool:
        return enough(self.p.total, min_n=self.min_n)


def stratum_expression(split: Split, prefix: str) -> Coalesce:
    """The stratum of a row reached from a review through `prefix` ('' for Review, 'review__' for scores), never
    NULL: "" stands for not recorded."""
    if split.key == "fitzpatrick":
        source: Any = NullIf(F(f"{prefix}case__patient__fitzpatrick_type"), Value(""))
    else:
        first_photo = LesionImage.objects.filter(case=OuterRef(f"{prefix}case_id")).order_by("pk")
        source = Coalesce(F(f"{prefix}draft__image__capture_type"), Subquery(first_photo.values("capture_type")[:1]))
    return Coalesce(source, Value(NOT_RECORDED), output_field=CharField())


# --- the live model card, split ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeanFigure:
    """A mean F1 with its normal-approximation 95% interval (None below two scores)."""

    n: int
    mean: float | None
    std: float | None

    @property
    def enough(self) -> bool:
        return enough(self.n)

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.mean is None or self.std is None or self.n < 2:
            return None
        half = Z_95 * self.std / math.sqrt(self.n)
        return max(0.0, self.mean - half), min(1.0, self.mean + half)


@dataclass(frozen=True)
class CardStratum:
    value: str
    label: str
    n_reviews: int
    lesion_type: MeanFigure
    lesion_type_exact: Figure
    pooled: MeanFigure  # every field of the stratum's sign-offs pooled (fields of one review are not independent)

    min_n: int = MIN_N

    @property
    def enough(self) -> bool:
        return enough(self.n_reviews, min_n=self.min_n)


@dataclass
class CardStrataGroup:
    """One scorer and one model version, as the card's tables, split into strata."""

    scorer: Scorer
    model_id: str
    model_revision: str
    prompt_version: str
    strata: list[CardStratum] = field(default_factory=list)


_GROUP = ("scorer_model", "scorer_num_layers", "mv_model_id", "mv_model_revision", "mv_prompt_version")


def _card_stratum(split: Split, value: str, rows: dict[str, dict[str, Any]]) -> CardStratum:
    lesion = rows.get(LESION_TYPE, {"n": 0, "mean": None, "std": None, "exact_rate": None})
    n_all = sum(row["n"] for row in rows.values())
    pooled_mean = sum(row["mean"] * row["n"] for row in rows.values()) / n_all if n_all else None
    exact = round((lesion["exact_rate"] or 0.0) * lesion["n"])
    return CardStratum(
        value=value, label=split.label_of(value),
        n_reviews=max((row["n"] for row in rows.values()), default=0),
        lesion_type=MeanFigure(lesion["n"], lesion["mean"], lesion["std"]),
        lesion_type_exact=Figure(proportion(exact, lesion["n"])),
        pooled=MeanFigure(n_all, pooled_mean, None),
    )


def model_card_strata(*, organisation_id: int, filters: OversightFilters, split: Split) -> list[CardStrataGroup]:
    """Per scorer and model version, per stratum: n sign-offs, the lesion type's mean F1 with its interval and its
    exact-match rate with a Wilson interval, and the mean over all fields. One query."""
    scores = scores_for(organisation_id=organisation_id, filters=filters).annotate(
        stratum=stratum_expression(split, "review__"))
    rows = scores.values(*_GROUP, "stratum", "field").annotate(**_AGGREGATES).order_by()
    by_group: dict[tuple[Any, ...], dict[str, dict[str, dict[str, Any]]]] = {}
    for row in rows:
        if row["field"] not in FIELD_LABELS:
            continue
        strata = by_group.setdefault(tuple(row[k] for k in _GROUP), {})
        strata.setdefault(row["stratum"], {})[row["field"]] = row
    groups = []
    for key, strata in by_group.items():
        group = CardStrataGroup(scorer=Scorer(key[0], key[1]), model_id=key[2], model_revision=key[3],
                                prompt_version=key[4])
        group.strata = [_card_stratum(split, value, strata[value]) for value in sorted(strata, key=split.order_of)]
        groups.append(group)
    return sorted(groups, key=lambda g: (g.scorer.model, g.scorer.num_layers, g.model_id, g.model_revision,
                                         g.prompt_version))
