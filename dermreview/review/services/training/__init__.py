"""The training export (`manage.py training_export`): signed findings, de-identified, split by patient.

`export.training_export` is the service; `selection` chooses the findings and photos and counts what it leaves
out, `pseudonyms` makes the keyed ids and the patient split, `writer` writes the files (format: `writer`'s
docstring and README, "Training export").
"""

from __future__ import annotations

from dermreview.review.services.training.export import TrainingExport, training_export
from dermreview.review.services.training.writer import ExportRefused

__all__ = ["ExportRefused", "TrainingExport", "training_export"]
