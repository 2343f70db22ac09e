"""The training card: what a fine-tuned model was trained on, how, and how its loss went.

Written beside the model as ``training_card.json`` (for scripts and the lead's checks) and ``training_card.md``
(for people), so whoever deploys the directory can see the data counts, the options and the losses without
rerunning anything. The card states facts about the training run only; how good the model is belongs to the
evaluation harness (`python -m inference_worker.evaluate`).
"""

from __future__ import annotations

import json
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from inference_worker.fields import FINDING_FIELDS, SINGLE_LINE_FIELDS
from inference_worker.training.dataset import TrainingRecord

CARD_JSON = "training_card.json"
CARD_MARKDOWN = "training_card.md"
_LIBRARIES = ("torch", "transformers", "peft")
# Distinct values listed per field in the card; beyond this only their number is given.
_TOP_VALUES = 8


@dataclass(frozen=True, slots=True)
class DataCounts:
    """How much data there was, and how much of it was trained on."""

    records: int
    trained_on: int
    by_split: dict[str, int]
    distinct_values: dict[str, int]
    top_values: dict[str, list[tuple[str, int]]]


def data_counts(records: Sequence[TrainingRecord], used: Sequence[TrainingRecord]) -> DataCounts:
    """Counts for the card: records per split, and the short fields' most common values among those used."""
    by_split = Counter(record.split or "(none)" for record in records)
    distinct: dict[str, int] = {}
    top: dict[str, list[tuple[str, int]]] = {}
    for name in FINDING_FIELDS:
        values = Counter(record.finding[name] for record in used)
        distinct[name] = len(values)
        if name in SINGLE_LINE_FIELDS:
            top[name] = values.most_common(_TOP_VALUES)
    return DataCounts(len(records), len(used), dict(sorted(by_split.items())), distinct, top)


@dataclass(frozen=True, slots=True)
class TrainingCard:
    """Everything the card says; ``losses`` holds the mean training loss of every optimiser step."""

    base_model: str
    base_revision: str
    method: str
    prompt_version: str
    options: dict[str, Any]
    data: DataCounts
    losses: list[float]
    epoch_losses: list[float]
    steps: int
    seconds: float
    device: str
    resumed_from_step: int
    note: str = ""
    libraries: dict[str, str] = field(default_factory=dict)


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shaped the weights, and Python's."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_card(directory: Path, card: TrainingCard) -> tuple[Path, Path]:
    """Write ``training_card.json`` and ``training_card.md`` into ``directory``; their paths."""
    json_path, markdown_path = directory / CARD_JSON, directory / CARD_MARKDOWN
    json_path.write_text(json.dumps(asdict(card), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown_path.write_text(card_markdown(card), encoding="utf-8")
    return json_path, markdown_path


def card_markdown(card: TrainingCard) -> str:
    """The card for people: a few tables, the loss curve as numbers."""
    lines = [
        "# Training card",
        "",
        *([card.note, ""] if card.note else []),
        f"- Base model: `{card.base_model}` (revision `{card.base_revision}`)",
        f"- Method: {card.method}; prompt `{card.prompt_version}`; device {card.device}",
        f"- {card.steps} optimiser steps in {card.seconds:.0f} s"
        + (f" (resumed at step {card.resumed_from_step})" if card.resumed_from_step else ""),
        f"- Libraries: {', '.join(f'{name} {version}' for name, version in card.libraries.items())}",
        "",
        "## Data",
        "",
        f"{card.data.records} records, {card.data.trained_on} trained on.",
        "",
        *_table(("split", "records"), card.data.by_split.items()),
        "",
        *_table(("field", "distinct values", "most common"), _value_rows(card.data)),
        "",
        "## Options",
        "",
        *_table(("option", "value"), card.options.items()),
        "",
        "## Loss",
        "",
        *_table(("epoch", "mean loss"), ((i + 1, f"{loss:.4f}") for i, loss in enumerate(card.epoch_losses))),
        "",
        f"First step {_loss(card.losses, 0)}, last step {_loss(card.losses, -1)}.",
        "",
    ]
    return "\n".join(lines)


def _value_rows(data: DataCounts) -> list[tuple[str, int, str]]:
    rows = []
    for name in FINDING_FIELDS:
        common = ", ".join(f"{value} ({count})" for value, count in data.top_values.get(name, []))
        rows.append((name, data.distinct_values[name], common))
    return rows


def _table(heading: Sequence[str], rows: Any) -> list[str]:
    lines = ["| " + " | ".join(heading) + " |", "|" + "---|" * len(heading)]
    for row in rows:
        cells = (str(cell).replace("|", "\\|").replace("\n", " ") for cell in row)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _loss(losses: Sequence[float], index: int) -> str:
    return f"{losses[index]:.4f}" if losses else "n/a"

