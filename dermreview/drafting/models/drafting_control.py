from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

from dermreview.cases.models import LesionImage

if TYPE_CHECKING:
    from collections.abc import Collection

    from dermreview.drafting.models.draft import DraftQuerySet


class DraftingControl(models.Model):
    """A kill switch for AI drafting: the installation's (no organisation) or one clinic's.

    Drafting for an image runs only while all three allow it: the DERMREVIEW_DRAFTING_ENABLED setting, the global
    switch (held by the installation's operators, the superusers) and the switch of the image's clinic (held by
    that clinic's administrators). A clinic without a row has never been switched off. While a switch is off,
    uploads continue: the drafts wait `queued`, reviewers enter findings by hand, and turning it back on drafts the
    backlog. One row per scope (a unique index on the organisation, counting "none" as one value); the single row
    of earlier versions became the global switch.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="The clinic this switch is for; empty for the global switch of the whole installation.",
    )
    enabled = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "drafting kill switch"
        constraints = [
            models.UniqueConstraint(
                Coalesce("organisation", Value(0), output_field=models.BigIntegerField()),
                name="drafting_control_one_per_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = "all clinics (global)" if self.organisation_id is None else str(self.organisation)
        return f"AI drafting {'on' if self.enabled else 'OFF'}: {scope}"

    @property
    def is_global(self) -> bool:
        return self.organisation_id is None

    @classmethod
    def current(cls) -> DraftingControl:
        """The global switch (created, enabled, on first use)."""
        return cls.for_organisation(None)

    @classmethod
    def for_organisation(cls, organisation_id: int | None) -> DraftingControl:
        """The switch of one clinic, or the global one for None (created, enabled, on first use)."""
        control, _ = cls.objects.get_or_create(organisation_id=organisation_id)
        return control

    @classmethod
    def drafting_allowed(cls, organisation_id: int | None = None) -> bool:
        """Whether drafting may run for a clinic's images (None: the installation-wide part only). One query."""
        if not settings.DERMREVIEW_DRAFTING_ENABLED:
            return False
        scopes = Q(organisation__isnull=True)
        if organisation_id is not None:
            scopes |= Q(organisation_id=organisation_id)
        return not cls.objects.filter(scopes, enabled=False).exists()

    @classmethod
    def paused_organisation_ids(cls) -> frozenset[int]:
        """The clinics whose own switch is off (the global switch and the setting are not counted here)."""
        return frozenset(cls.objects.filter(organisation__isnull=False, enabled=False)
                         .values_list("organisation_id", flat=True))

    @staticmethod
    def exclude_paused(drafts: DraftQuerySet, paused: Collection[int]) -> DraftQuerySet:
        """`drafts` without those of the `paused` clinics.

        A condition on the draft's own `image` column (the images of those clinics, as a subquery), not a join: a
        conditional UPDATE that claims drafts keeps its status guard in its own WHERE clause that way.
        """
        if not paused:
            return drafts
        return drafts.exclude(image__in=LesionImage.objects.filter(case__organisation_id__in=list(paused))
                              .values("pk"))
