from __future__ import annotations

from django.db import models

# The six fields of a finding, their labels and limits, as defined once in `inference_worker.fields` (the worker
# cannot import Django, so the definition lives on its side). The same names are used by the AI draft, the
# blind-first finding and the signed review, so they can be compared field by field.
from inference_worker.fields import (
    FIELD_LABELS,
    FIELD_MAX_LENGTH,
    FINDING_FIELD_SPECS,
    FINDING_FIELDS,
    field_spec,
)

__all__ = ["FIELD_LABELS", "FIELD_MAX_LENGTH", "FINDING_FIELDS", "FINDING_FIELD_SPECS", "FindingFieldsMixin"]


def _column(name: str) -> models.CharField | models.TextField:
    """The column of one finding field: one-line fields are VARCHAR, multi-line ones TEXT, sized by the spec."""
    spec = field_spec(name)
    if spec.multiline:
        return models.TextField(blank=True, max_length=spec.max_length)
    return models.CharField(max_length=spec.max_length, blank=True)


class FindingFieldsMixin(models.Model):
    """The six finding fields. Blank is allowed only where the row is not (yet) a usable finding."""

    # Named one by one so the ORM and type checkers see the attributes; tests check they follow the spec's order.
    lesion_type = _column("lesion_type")
    color = _column("color")
    symmetry = _column("symmetry")
    borders = _column("borders")
    texture = _column("texture")
    summary = _column("summary")

    class Meta:
        abstract = True

    def finding_fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FINDING_FIELDS}
