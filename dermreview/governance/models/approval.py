from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from dermreview.drafting.models.model_version import installation_or_own_clinic


class ApprovalKind(models.TextChoices):
    BOOTSTRAP = "bootstrap", "Bootstrap (no evaluation)"
    GATE = "gate", "Passed the gate"
    OVERRIDE = "override", "Override of the gate"


class ApprovalQuerySet(models.QuerySet["Approval"]):
    def visible_to(self, user: Any) -> ApprovalQuerySet:
        """The installation's approvals and the user's clinic's; an operator sees every clinic's."""
        return self.filter(installation_or_own_clinic(user))

    def for_clinic(self, organisation_id: int) -> ApprovalQuerySet:
        """The approvals that decided which model drafts for this clinic: its own and the installation's."""
        return self.filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))


class Approval(models.Model):
    """The decision that made a model version active: who, when, on which evaluation, with which figures.

    Append-only. `kind` says whether the evaluation passed the gate, or the gate was overridden (with the reason
    and the checks it failed, `failed_checks`), or the version is the bootstrap one. `figures` is a snapshot of the
    run's figures and of the gate's settings at the time, so the record stands even if the settings change.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", help_text="The clinic; empty for the installation default.")
    version = models.ForeignKey("drafting.ModelVersion", on_delete=models.PROTECT, related_name="approvals")
    previous = models.ForeignKey("drafting.ModelVersion", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", help_text="The version it replaced (retired by this approval).")
    run = models.ForeignKey("governance.EvaluationRun", on_delete=models.PROTECT, null=True, blank=True,
                            related_name="approvals")
    kind = models.CharField(max_length=10, choices=ApprovalKind.choices)
    override_reason = models.TextField(blank=True)
    failed_checks = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    figures = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ApprovalKind.values), name="approval_kind_valid"),
            models.CheckConstraint(condition=~Q(kind="override") | ~Q(override_reason=""),
                                   name="approval_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.version} ({self.decided_at:%Y-%m-%d})"

    @property
    def is_override(self) -> bool:
        return self.kind == ApprovalKind.OVERRIDE
