"""The figures of a shadow evaluation, from its scored items: what the run page shows and the gate reads.

The unit is one photo of a final case against that case's signed finding. Per version: for each field the BERTScore
F1 mean, minimum, maximum, sample standard deviation and n, and the exact-match rate (normalised text, as the live
model card); the same pooled over all fields; the failures by kind and the failure rate (Wilson interval); the
lesion-class metrics (accuracy, balanced accuracy, per-class and high-risk sensitivity and specificity, from
`inference_worker.evaluation.metrics`).

The comparison is *paired*: per field, the candidate's F1 minus the active version's on the same photo, over the
photos both drafted usably. Its 95% interval is a normal approximation with a cluster-robust standard error that
treats each case (not each photo) as independent: photos of one lesion are not independent evidence. With fewer than
two cases no interval is given.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.governance.models import EvaluationItem, EvaluationSide
from inference_worker.evaluation.metrics import (
    Z_95,
    ClassInfo,
    classification_summary,
    proportion,
    score_summary,
)

OVERALL = "overall"
UNIT = "one photo of a final case against the case's signed finding"


def _score_figures(scores: Sequence[float], exact: Sequence[bool]) -> dict[str, Any]:
    summary = score_summary(list(scores))
    return {"n": summary.n, "mean": summary.mean, "min": summary.minimum, "max": summary.maximum,
            "std": summary.std if summary.n > 1 else None, "exact": asdict(proportion(sum(exact), len(exact)))}


def side_figures(items: Sequence[EvaluationItem], *, classes: Sequence[ClassInfo]) -> dict[str, Any]:
    """One version's figures over its items (see the module docstring)."""
    scored = [item for item in items if item.finding is not None and item.scores]
    fields = {name: _score_figures([i.scores[name] for i in scored], [i.exact[name] for i in scored])
              for name in FINDING_FIELDS}
    pooled = _score_figures([i.scores[name] for i in scored for name in FINDING_FIELDS],
                            [i.exact[name] for i in scored for name in FINDING_FIELDS])
    failures = Counter(item.failure_kind or "unknown" for item in items if item.finding is None)
    pairs = [(item.true_class, item.predicted_class or None) for item in scored if item.true_class]
    return {
        "photos": len(items),
        "drafted": len(scored),
        "failure_rate": asdict(proportion(len(items) - len(scored), len(items))),
        "failures": dict(sorted(failures.items())),
        "fields": fields,
        OVERALL: pooled,
        "classes": asdict(classification_summary(pairs, classes)) if pairs else None,
        "resolved_revision": next((i.resolved_revision for i in items if i.resolved_revision), ""),
    }


def paired_difference(differences: Sequence[tuple[int, float]]) -> dict[str, Any]:
    """Mean of (case, candidate − active) photo differences, with a 95% interval clustered by case."""
    n = len(differences)
    if not n:
        return {"photos": 0, "cases": 0, "mean": None, "low": None, "high": None}
    mean = statistics.fmean(d for _, d in differences)
    residuals: dict[int, float] = defaultdict(float)
    for case, difference in differences:
        residuals[case] += difference - mean
    clusters = len(residuals)
    low = high = None
    if clusters > 1:
        variance = clusters / (clusters - 1) * sum(r * r for r in residuals.values()) / (n * n)
        half = Z_95 * math.sqrt(variance)
        low, high = mean - half, mean + half
    return {"photos": n, "cases": clusters, "mean": mean, "low": low, "high": high}


def paired_differences(candidate: Sequence[EvaluationItem], baseline: Sequence[EvaluationItem]) -> dict[str, Any]:
    """Per field (and pooled), the paired difference over the photos both versions drafted usably."""
    base = {item.image_id: item for item in baseline if item.finding is not None and item.scores}
    pairs = [(item, base[item.image_id]) for item in candidate
             if item.finding is not None and item.scores and item.image_id in base]
    result = {name: paired_difference([(c.review_id, c.scores[name] - b.scores[name]) for c, b in pairs])
              for name in FINDING_FIELDS}
    result[OVERALL] = paired_difference([
        (c.review_id, statistics.fmean(c.scores[name] - b.scores[name] for name in FINDING_FIELDS)) for c, b in pairs
    ])
    return result


def evaluation_results(*, items: Sequence[EvaluationItem], classes: Sequence[ClassInfo],
                       scorer: dict[str, Any]) -> dict[str, Any]:
    """Everything a finished run stores in `EvaluationRun.results`."""
    candidate = [item for item in items if item.side == EvaluationSide.CANDIDATE]
    baseline = [item for item in items if item.side == EvaluationSide.BASELINE]
    return {
        "unit": UNIT,
        "scorer": scorer,
        "cases": len({item.review_id for item in candidate}),
        "photos": len(candidate),
        "candidate": side_figures(candidate, classes=classes),
        "baseline": side_figures(baseline, classes=classes) if baseline else None,
        "differences": paired_differences(candidate, baseline) if baseline else None,
    }
