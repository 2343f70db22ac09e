from __future__ import annotations

from django.conf import settings
from django.db import models


class DraftingControl(models.Model):
    """The kill switch for AI drafting (a single row, pk=1).

    Drafting runs only while both this row and the DERMREVIEW_DRAFTING_ENABLED setting allow it. Uploads
    continue while it is off; images are reviewed by manual entry, and turning it back on drafts the backlog.
    """

    enabled = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "drafting kill switch"

    def __str__(self) -> str:
        return "AI drafting on" if self.enabled else "AI drafting OFF"

    @classmethod
    def current(cls) -> DraftingControl:
        control, _ = cls.objects.get_or_create(pk=1)
        return control

    @classmethod
    def drafting_allowed(cls) -> bool:
        return bool(settings.DERMREVIEW_DRAFTING_ENABLED) and cls.current().enabled
