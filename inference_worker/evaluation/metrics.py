"""The figures of an evaluation, as plain functions of plain inputs, so each can be checked by hand.

- `wilson_interval`: the 95% interval of a proportion. Unlike the normal approximation it stays inside [0, 1]
  and is honest for the small counts a high-risk class has in a test set of a few hundred photos (8 of 10
  found is 0.49-0.94, not 0.55-1.05).
- `score_summary`: mean, minimum, maximum and standard deviation of per-photo BERTScores, as the model card
  reports them (the sample standard deviation, as the oversight model-card page computes it; the card does not
  say which it used).
- `classification_summary`: accuracy, balanced accuracy (the mean of per-class sensitivities: a test set that is
  mostly naevi cannot hide a model that never says melanoma), and per class sensitivity and specificity with
  their intervals; plus the one binary question that routes a review: high-risk or not.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# The two-sided 95% quantile of the standard normal distribution.
Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Proportion:
    """``successes`` of ``total``, with its Wilson 95% interval; value and bounds are None when total is 0."""

    successes: int
    total: int
    value: float | None
    low: float | None
    high: float | None


def wilson_interval(successes: int, total: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes`` out of ``total``; None when ``total`` is 0."""
    if not 0 <= successes <= total:
        raise ValueError(f"successes ({successes}) must be between 0 and total ({total})")
    if total == 0:
        return None
    p = successes / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(successes: int, total: int) -> Proportion:
    interval = wilson_interval(successes, total)
    if interval is None:
        return Proportion(successes, total, None, None, None)
    return Proportion(successes, total, successes / total, *interval)


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """Per-photo scores of one field: None figures when no photo was scored."""

    n: int
    mean: float | None
    minimum: float | None
    maximum: float | None
    std: float | None


def score_summary(scores: Sequence[float]) -> ScoreSummary:
    if not scores:
        return ScoreSummary(0, None, None, None, None)
    return ScoreSummary(len(scores), statistics.fmean(scores), min(scores), max(scores),
                        statistics.stdev(scores) if len(scores) > 1 else 0.0)


def fold_for_exact_match(text: str) -> str:
    """Two texts are an exact match when they agree after this: case folded, whitespace collapsed."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One class: how often photos of it were called it (sensitivity), and others were not (specificity)."""

    code: str
    name: str
    high_risk: bool
    sensitivity: Proportion
    specificity: Proportion
    predicted: int  # photos called this class, rightly or not


@dataclass(frozen=True, slots=True)
class ClassificationSummary:
    """Lesion-type agreement over the photos with both a true and a drafted lesion type."""

    n: int
    accuracy: Proportion
    balanced_accuracy: float | None
    rows: tuple[ClassRow, ...]
    high_risk: ClassRow
    unmatched_predictions: int  # drafted lesion types naming no class: counted wrong, and as high-risk


@dataclass(frozen=True, slots=True)
class ClassInfo:
    """What the summary needs to know about a class."""

    code: str
    name: str
    high_risk: bool


def _row(info: ClassInfo, pairs: Sequence[tuple[str, str | None]]) -> ClassRow:
    positives = [predicted for true, predicted in pairs if true == info.code]
    negatives = [predicted for true, predicted in pairs if true != info.code]
    return ClassRow(
        code=info.code, name=info.name, high_risk=info.high_risk,
        sensitivity=proportion(sum(p == info.code for p in positives), len(positives)),
        specificity=proportion(sum(p != info.code for p in negatives), len(negatives)),
        predicted=sum(predicted == info.code for _, predicted in pairs),
    )


def classification_summary(
    pairs: Sequence[tuple[str, str | None]], classes: Sequence[ClassInfo]
) -> ClassificationSummary:
    """Summarise (true class code, predicted class code or None) pairs.

    Rows: every class that is true or predicted at least once, high-risk classes first, then by how often they
    are true. The binary row treats a prediction naming no class as high-risk, as the review rules do (AI text
    that maps to no class needs the second reviewer).
    """
    known = {info.code: info for info in classes}
    missing = {code for pair in pairs for code in pair if code is not None and code not in known}
    if missing:
        raise ValueError(f"unknown class codes: {', '.join(sorted(missing))}")
    seen = {code for pair in pairs for code in pair if code is not None}
    true_counts = {code: sum(true == code for true, _ in pairs) for code in seen}
    ordered = sorted(seen, key=lambda code: (not known[code].high_risk, -true_counts[code], code))
    rows = tuple(_row(known[code], pairs) for code in ordered)
    present = [row.sensitivity.value for row in rows if row.sensitivity.total and row.sensitivity.value is not None]

    def risky(code: str | None) -> str:
        return "high" if code is None or known[code].high_risk else "low"

    binary = _row(ClassInfo("high", "High-risk vs not", True), [(risky(t), risky(p)) for t, p in pairs])
    return ClassificationSummary(
        n=len(pairs),
        accuracy=proportion(sum(t == p for t, p in pairs), len(pairs)),
        balanced_accuracy=statistics.fmean(present) if present else None,
        rows=rows,
        high_risk=binary,
        unmatched_predictions=sum(p is None for _, p in pairs),
    )
