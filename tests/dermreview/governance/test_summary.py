"""The figures of a shadow evaluation, checked against hand-computed answers."""

from __future__ import annotations

import math

import pytest

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.governance.models import EvaluationItem, EvaluationSide
from dermreview.governance.services.summary import OVERALL, evaluation_results, paired_difference
from inference_worker.evaluation.metrics import Z_95, ClassInfo


def test_paired_difference_clusters_photos_by_case() -> None:
    # Case 1 has two photos (+0.1, +0.3), case 2 one (-0.1): mean over photos 0.1.
    result = paired_difference([(1, 0.1), (1, 0.3), (2, -0.1)])
    assert result["photos"] == 3 and result["cases"] == 2
    assert result["mean"] == pytest.approx(0.1)
    # Residual sums per case: (0.0 + 0.2) and (-0.2); variance = 2/1 * (0.04 + 0.04) / 9.
    half = Z_95 * math.sqrt(2 * 0.08 / 9)
    assert (result["low"], result["high"]) == (pytest.approx(0.1 - half), pytest.approx(0.1 + half))


def test_paired_difference_of_one_case_has_no_interval_and_of_none_no_mean() -> None:
    assert paired_difference([(7, 0.2), (7, 0.4)])["low"] is None
    assert paired_difference([])["mean"] is None


def _item(side: str, image_id: int, review_id: int, f1: float | None, *, kind: str = "",
          true_class: str = "melanoma", predicted: str = "melanoma") -> EvaluationItem:
    finding = None if f1 is None else dict.fromkeys(FINDING_FIELDS, "x")
    return EvaluationItem(side=side, image_id=image_id, review_id=review_id, finding=finding, failure_kind=kind,
                          scores={} if f1 is None else dict.fromkeys(FINDING_FIELDS, f1),
                          exact={} if f1 is None else dict.fromkeys(FINDING_FIELDS, f1 == 1.0),
                          true_class=true_class, predicted_class=predicted if f1 is not None else "")


def test_evaluation_results_per_side_failures_classes_and_pairs() -> None:
    classes = [ClassInfo("melanoma", "Melanoma", True), ClassInfo("naevus", "Melanocytic naevus", False)]
    items = [
        _item(EvaluationSide.CANDIDATE, 1, 10, 1.0), _item(EvaluationSide.CANDIDATE, 2, 11, 0.8, predicted="naevus"),
        _item(EvaluationSide.CANDIDATE, 3, 12, None, kind="truncated"),
        _item(EvaluationSide.BASELINE, 1, 10, 0.9), _item(EvaluationSide.BASELINE, 2, 11, 0.9),
        _item(EvaluationSide.BASELINE, 3, 12, 0.7),
    ]
    results = evaluation_results(items=items, classes=classes, scorer={"model": "m"})
    candidate, baseline = results["candidate"], results["baseline"]
    assert (results["cases"], results["photos"]) == (3, 3)
    assert candidate["fields"]["summary"]["n"] == 2 and candidate["fields"]["summary"]["mean"] == pytest.approx(0.9)
    assert candidate["fields"]["summary"]["exact"]["successes"] == 1
    assert candidate["failures"] == {"truncated": 1} and candidate["failure_rate"]["value"] == pytest.approx(1 / 3)
    assert baseline["failure_rate"]["value"] == 0 and baseline[OVERALL]["n"] == 18
    # Melanoma called naevus once by the candidate: high-risk sensitivity 1 of 2.
    assert candidate["classes"]["high_risk"]["sensitivity"]["successes"] == 1
    assert baseline["classes"]["high_risk"]["sensitivity"]["successes"] == 3
    # Pairs only where both drafted: photos 1 and 2, differences +0.1 and -0.1.
    assert results["differences"]["lesion_type"]["photos"] == 2
    assert results["differences"]["lesion_type"]["mean"] == pytest.approx(0.0)
