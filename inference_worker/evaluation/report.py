"""The evaluation printed as the model card's table, and saved as JSON.

The table puts each field's BERTScore F1 (mean, min, max, std over the drafted photos, n and the failed drafts
left out) and its exact-match rate beside the card's published figure, and names the scorer, because a figure
from another scorer is on another scale. Then the lesion type as a class of the review vocabulary: accuracy,
balanced accuracy, per-class sensitivity and specificity with Wilson 95% intervals, and the high-risk-or-not row.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path
from typing import Any

from inference_worker.evaluation.card import CARD_OVERALL_F1
from inference_worker.evaluation.harness import Evaluation
from inference_worker.evaluation.metrics import ClassRow, Proportion
from inference_worker.fields import FIELD_LABELS, FINDING_FIELDS

CARD_SCORER_NOTE = "The model card does not name its scorer: compare its figures with those of the same scorer."


def overall_mean(evaluation: Evaluation) -> float | None:
    """The mean of the six field means, as the card computes its overall average; None when nothing scored."""
    means = [result.scores.mean for result in evaluation.fields.values()]
    return statistics.fmean(means) if all(mean is not None for mean in means) else None  # type: ignore[arg-type]


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def describe_proportion(value: Proportion, digits: int = 2) -> str:
    """"0.67 (2/3, 0.21-0.94)": the value, the counts and the Wilson 95% interval; "-" when there is no count."""
    if value.value is None or value.low is None or value.high is None:
        return f"- (0/{value.total})"
    return (f"{value.value:.{digits}f} ({value.successes}/{value.total}, "
            f"{value.low:.{digits}f}-{value.high:.{digits}f})")


def _heading(evaluation: Evaluation) -> list[str]:
    run = evaluation.run
    failed = len(evaluation.outcomes) - evaluation.drafted_ok
    kinds = ", ".join(f"{kind} {count}" for kind, count in evaluation.failures.items()) or "none"
    revision = run["model_revision"] + (f", resolved {run['resolved_revision']}" if run["resolved_revision"] else "")
    lines = [
        f"Model: {run['model_id']} (revision {revision}); prompt {run['prompt_version']}; backend {run['backend']}; "
        f"batch size {run['batch_size']}",
        f"Photos: {run['photos']}; drafted: {evaluation.drafted_ok}; failed: {failed}",
        f"Parse failures by kind: {kinds}",
        f"Scorer: {evaluation.scorer.describe()}",
        CARD_SCORER_NOTE,
    ]
    if run.get("is_test_model"):
        lines.append("This is the tiny random test model: its drafts are meaningless.")
    return lines


def _field_table(evaluation: Evaluation) -> list[str]:
    failed = len(evaluation.outcomes) - evaluation.drafted_ok
    lines = [
        f"{'Field':<12} {'n':>4} {'failed':>6} {'mean':>7} {'min':>7} {'max':>7} {'std':>7} {'exact':>6}   "
        f"{'card mean':>9} {'min':>7} {'max':>7} {'std':>7}"
    ]
    for name in FINDING_FIELDS:
        result = evaluation.fields[name]
        s, card = result.scores, result.card
        exact = "-" if result.exact.value is None else f"{result.exact.value:.0%}"
        lines.append(
            f"{FIELD_LABELS[name]:<12} {s.n:>4} {failed:>6} {_number(s.mean):>7} {_number(s.minimum):>7} "
            f"{_number(s.maximum):>7} {_number(s.std):>7} {exact:>6}   {card.mean:>9.4f} {card.minimum:>7.4f} "
            f"{card.maximum:>7.4f} {card.std:>7.4f}"
        )
    lines.append(f"{'Overall':<12} {'':>4} {'':>6} {_number(overall_mean(evaluation)):>7} {'':>7} {'':>7} "
                 f"{'':>7} {'':>6}   {'~' + format(CARD_OVERALL_F1, '.4f'):>9}")
    return lines


def _class_line(row: ClassRow, name_width: int) -> str:
    return (f"{row.name:<{name_width}} {'yes' if row.high_risk else 'no':>9} {row.sensitivity.total:>5} "
            f"{row.predicted:>6}  {describe_proportion(row.sensitivity):<24} {describe_proportion(row.specificity)}")


def _class_table(evaluation: Evaluation) -> list[str]:
    summary = evaluation.classes
    balanced = "-" if summary.balanced_accuracy is None else f"{summary.balanced_accuracy:.2f}"
    lines = [
        f"Lesion type as a class of the review vocabulary ({summary.n} photos with a drafted lesion type and a "
        f"labelled one that names a class):",
        f"accuracy {describe_proportion(summary.accuracy)}; balanced accuracy {balanced}; "
        f"drafts naming no class {summary.unmatched_predictions}; labels naming no class "
        f"{len(evaluation.unmatched_labels)}",
    ]
    if not summary.rows:
        return lines
    width = max(len(row.name) for row in (*summary.rows, summary.high_risk))
    lines.append(f"{'Class':<{width}} {'high-risk':>9} {'true':>5} {'called':>6}  {'sensitivity (95% CI)':<24} "
                 "specificity (95% CI)")
    lines.extend(_class_line(row, width) for row in summary.rows)
    lines.append(_class_line(summary.high_risk, width) + "   (a draft naming no class counts as high-risk)")
    return lines


def format_report(evaluation: Evaluation) -> str:
    """The whole printed report."""
    return "\n".join([*_heading(evaluation), "", *_field_table(evaluation), "", *_class_table(evaluation)]) + "\n"


def report_data(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as plain JSON data: the summary figures and every photo's outcome."""
    data = dataclasses.asdict(evaluation)
    data["scorer"]["description"] = evaluation.scorer.describe()
    data["overall"] = {"mean": overall_mean(evaluation), "card_mean": CARD_OVERALL_F1}
    data["drafted_ok"] = evaluation.drafted_ok
    return data


def write_json(evaluation: Evaluation, path: Path) -> None:
    path.write_text(json.dumps(report_data(evaluation), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
