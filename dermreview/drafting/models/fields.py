from __future__ import annotations

from django.db import models

# The six fields of a finding, in the order the model card lists them. The same names are used by the
# AI draft, the blind-first finding and the signed review, so they can be compared field by field.
FINDING_FIELDS: tuple[str, ...] = ("lesion_type", "color", "symmetry", "borders", "texture", "summary")


class FindingFieldsMixin(models.Model):
    """The six finding fields. Blank is allowed only where the row is not (yet) a usable finding."""

    lesion_type = models.CharField(max_length=200, blank=True)
    color = models.CharField(max_length=200, blank=True)
    symmetry = models.CharField(max_length=200, blank=True)
    borders = models.CharField(max_length=200, blank=True)
    texture = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True, max_length=4000)

    class Meta:
        abstract = True

    def finding_fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FINDING_FIELDS}
