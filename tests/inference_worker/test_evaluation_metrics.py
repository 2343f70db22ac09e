"""The evaluation's figures on hand-made inputs, against values worked out independently."""

from __future__ import annotations

import pytest

from inference_worker.evaluation.metrics import (
    ClassInfo,
    classification_summary,
    fold_for_exact_match,
    proportion,
    score_summary,
    wilson_interval,
)

CLASSES = [
    ClassInfo("mel", "Melanoma", True),
    ClassInfo("bcc", "Basal cell carcinoma", True),
    ClassInfo("naevus", "Melanocytic naevus", False),
    ClassInfo("sk", "Seborrhoeic keratosis", False),
]


@pytest.mark.parametrize(
    ("successes", "total", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # Small counts a high-risk class has in a test set.
        (8, 10, 0.4902, 0.9433),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes: int, total: int, low: float, high: float) -> None:
    interval = wilson_interval(successes, total)

    assert interval is not None
    assert interval[0] == pytest.approx(low, abs=5e-5)
    assert interval[1] == pytest.approx(high, abs=5e-5)


def test_wilson_interval_of_nothing_is_none_and_impossible_counts_are_refused() -> None:
    assert wilson_interval(0, 0) is None
    assert proportion(0, 0).value is None
    with pytest.raises(ValueError, match="between 0 and total"):
        wilson_interval(5, 4)


def test_score_summary_gives_the_card_statistics() -> None:
    summary = score_summary([0.8, 0.9, 1.0])

    assert (summary.n, summary.minimum, summary.maximum) == (3, 0.8, 1.0)
    assert summary.mean == pytest.approx(0.9)
    assert summary.std == pytest.approx(0.1)  # sample standard deviation: sqrt((0.01 + 0 + 0.01) / 2)
    assert score_summary([0.7]).std == 0.0
    assert score_summary([]).mean is None


def test_exact_match_ignores_case_and_spacing_only() -> None:
    assert fold_for_exact_match("  Irregular,\n notched ") == fold_for_exact_match("irregular, NOTCHED")
    assert fold_for_exact_match("irregular notched") != fold_for_exact_match("irregular, notched")


def test_classification_summary_accuracy_balanced_accuracy_sensitivity_specificity() -> None:
    # 6 naevi (5 right, 1 called melanoma), 3 melanomas (1 right, 1 naevus, 1 naming no class), 1 SK right.
    pairs = [("naevus", "naevus")] * 5 + [("naevus", "mel"), ("mel", "mel"), ("mel", "naevus"), ("mel", None),
                                           ("sk", "sk")]

    summary = classification_summary(pairs, CLASSES)

    assert summary.n == 10
    assert (summary.accuracy.successes, summary.accuracy.total) == (7, 10)
    # Mean of per-class sensitivities over the classes present: naevus 5/6, melanoma 1/3, SK 1/1.
    assert summary.balanced_accuracy == pytest.approx((5 / 6 + 1 / 3 + 1) / 3)
    rows = {row.code: row for row in summary.rows}
    assert list(rows) == ["mel", "naevus", "sk"]  # high-risk first, then by how many are true
    melanoma = rows["mel"]
    assert (melanoma.sensitivity.successes, melanoma.sensitivity.total) == (1, 3)
    assert (melanoma.specificity.successes, melanoma.specificity.total) == (6, 7)  # one naevus called melanoma
    assert melanoma.predicted == 2
    assert melanoma.sensitivity.low == pytest.approx(wilson_interval(1, 3)[0])  # type: ignore[index]
    assert summary.unmatched_predictions == 1


def test_classification_summary_high_risk_row_counts_unmatched_drafts_as_high_risk() -> None:
    pairs = [("mel", None), ("mel", "naevus"), ("naevus", None), ("naevus", "naevus"), ("bcc", "bcc")]

    binary = classification_summary(pairs, CLASSES).high_risk

    # High-risk truths: mel, mel, bcc; called high-risk: None, bcc (and None for the naevus).
    assert (binary.sensitivity.successes, binary.sensitivity.total) == (2, 3)
    assert (binary.specificity.successes, binary.specificity.total) == (1, 2)
    assert binary.predicted == 3
    assert (binary.sensitivity.low, binary.sensitivity.high) == wilson_interval(2, 3)


def test_classification_summary_refuses_codes_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="unknown class codes: wart"):
        classification_summary([("wart", "naevus")], CLASSES)
