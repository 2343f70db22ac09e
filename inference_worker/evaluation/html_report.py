"""The evaluation as one self-contained HTML page: the summary tables and every photo's draft beside its labels.

One file with its styles inline and no scripts or external links, so it can be mailed or archived as it is.
Every text from a model reply or a labels file is escaped: a reply is untrusted text.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from inference_worker.evaluation.card import CARD_OVERALL_F1
from inference_worker.evaluation.harness import Evaluation, PhotoOutcome
from inference_worker.evaluation.report import CARD_SCORER_NOTE, describe_proportion, overall_mean
from inference_worker.fields import FIELD_LABELS, FINDING_FIELDS

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed { background: #fdecea; }
pre { white-space: pre-wrap; margin: 0; max-width: 60em; }
"""


def _cell(value: object, *, numeric: bool = False) -> str:
    css = ' class="n"' if numeric else ""
    return f"<td{css}>{escape(str(value))}</td>"


def _row(cells: Iterable[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _head(*names: str) -> str:
    return "<tr>" + "".join(f"<th>{escape(name)}</th>" for name in names) + "</tr>"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _field_table(evaluation: Evaluation) -> str:
    rows = [_head("Field", "n", "mean", "min", "max", "std", "exact", "card mean", "card min", "card max",
                  "card std")]
    for name in FINDING_FIELDS:
        result = evaluation.fields[name]
        s, card = result.scores, result.card
        values = (s.n, _number(s.mean), _number(s.minimum), _number(s.maximum), _number(s.std),
                  describe_proportion(result.exact), card.mean, card.minimum, card.maximum, card.std)
        rows.append(_row([_cell(FIELD_LABELS[name]), *(_cell(v, numeric=True) for v in values)]))
    rows.append(_row([_cell("Overall"), _cell(""), _cell(_number(overall_mean(evaluation)), numeric=True),
                      *[_cell("")] * 4, _cell(f"~{CARD_OVERALL_F1}", numeric=True), *[_cell("")] * 3]))
    return "<table>" + "".join(rows) + "</table>"


def _class_table(evaluation: Evaluation) -> str:
    summary = evaluation.classes
    rows = [_head("Class", "high-risk", "true", "called", "sensitivity (95% CI)", "specificity (95% CI)")]
    for row in (*summary.rows, summary.high_risk):
        rows.append(_row([_cell(row.name), _cell("yes" if row.high_risk else "no"),
                          _cell(row.sensitivity.total, numeric=True), _cell(row.predicted, numeric=True),
                          _cell(describe_proportion(row.sensitivity)), _cell(describe_proportion(row.specificity))]))
    balanced = "-" if summary.balanced_accuracy is None else f"{summary.balanced_accuracy:.2f}"
    return (f"<p>Accuracy {escape(describe_proportion(summary.accuracy))}; balanced accuracy {balanced}; drafts "
            f"naming no class {summary.unmatched_predictions}; labels naming no class "
            f"{len(evaluation.unmatched_labels)}. A draft naming no class counts as high-risk.</p>"
            "<table>" + "".join(rows) + "</table>")


def _photo_rows(outcome: PhotoOutcome) -> str:
    css = "" if outcome.finding is not None else ' class="failed"'
    failure = f"{outcome.failure_kind}: {outcome.failure_message}" if outcome.failure_kind else ""
    fields = "".join(
        f"<tr><th>{escape(FIELD_LABELS[name])}</th>{_cell(outcome.truth[name])}"
        f"{_cell(outcome.finding[name] if outcome.finding else '')}{_cell(_number(outcome.scores.get(name)))}</tr>"
        for name in FINDING_FIELDS
    )
    classes = f"class: labelled {outcome.true_class or '(none)'}, drafted {outcome.predicted_class or '(none)'}"
    return (
        f"<tr{css}><td>{escape(outcome.image)}<br>line {outcome.line}<br>{escape(classes)}"
        f"<br>{escape(failure)}</td><td><table>{_head('', 'label', 'draft', 'F1')}{fields}</table>"
        f"<details><summary>raw reply ({outcome.output_tokens} tokens)</summary><pre>{escape(outcome.raw_text)}"
        "</pre></details></td></tr>"
    )


def format_html(evaluation: Evaluation) -> str:
    """The page, as a string."""
    run = evaluation.run
    title = f"Evaluation of {run['model_id']}"
    facts = [
        f"revision {run['model_revision']}" + (f" (resolved {run['resolved_revision']})"
                                                if run["resolved_revision"] else ""),
        f"prompt {run['prompt_version']}", f"backend {run['backend']}", f"batch size {run['batch_size']}",
        f"photos {run['photos']}, drafted {evaluation.drafted_ok}",
        "failures: " + (", ".join(f"{k} {v}" for k, v in evaluation.failures.items()) or "none"),
    ]
    return (
        f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>{escape('; '.join(facts))}</p><p>Scorer: {escape(evaluation.scorer.describe())}. "
        f"{escape(CARD_SCORER_NOTE)}</p><h2>Fields</h2>{_field_table(evaluation)}"
        f"<h2>Lesion type as a class</h2>{_class_table(evaluation)}<h2>Photos</h2><table>"
        + "".join(_photo_rows(outcome) for outcome in evaluation.outcomes)
        + "</table></body></html>\n"
    )


def write_html(evaluation: Evaluation, path: Path) -> None:
    path.write_text(format_html(evaluation), encoding="utf-8")
