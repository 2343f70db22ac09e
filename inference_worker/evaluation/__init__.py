"""Measuring the model: the pieces behind `python -m inference_worker.evaluate` and `inference_worker.probe`.

Nothing here imports torch, transformers or Django at import time (the engine and the scorer import them when
built), so the labels reader, the metrics and the lesion-class matcher also run where the model libraries are
not installed.

- `labels`: the labels file (CSV or JSONL) with one photo and its six true fields per row.
- `lesion_classes`: free text to a class of the review vocabulary, without Django.
- `metrics`: Wilson intervals, BERTScore summaries, accuracy, balanced accuracy, sensitivity and specificity.
- `card`: the figures the model card publishes, which every report prints beside its own.
- `harness`: drafts every photo and scores it; `report` and `html_report` print and save what came out.
- `reply_shape`: the probe's own reading of a free reply (keys, value types, fence, prose).
- `options`: the command-line options the probe and the harness share (model, device, image budget).
"""

from __future__ import annotations
