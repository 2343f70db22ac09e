"""Model governance in the admin: read-only. Versions, evaluations and approvals change only through the audited
services of the governance page (register, evaluate, approve with the gate, withdraw)."""

from __future__ import annotations

from django.contrib import admin

from dermreview.accounts.admin import OrganisationScopedAdmin
from dermreview.accounts.roles import Role
from dermreview.drafting.models import ModelVersion
from dermreview.governance.models import Approval, EvaluationRun


class _GovernanceAdmin(OrganisationScopedAdmin):
    organisation_roles = frozenset({Role.AUDITOR, Role.CLINIC_ADMIN})
    operator_sees_all = True  # configurations and figures only, never a photo or a finding


@admin.register(ModelVersion)
class ModelVersionAdmin(_GovernanceAdmin):
    list_display = ("pk", "model_id", "identity_revision", "prompt_version", "backend", "organisation", "status",
                    "activated_at")
    list_filter = ("status", "backend")
    readonly_fields = [field.name for field in ModelVersion._meta.fields]


@admin.register(EvaluationRun)
class EvaluationRunAdmin(_GovernanceAdmin):
    list_display = ("pk", "candidate", "baseline", "organisation", "status", "cases", "done", "total", "created_at")
    list_filter = ("status",)
    readonly_fields = [field.name for field in EvaluationRun._meta.fields]


@admin.register(Approval)
class ApprovalAdmin(_GovernanceAdmin):
    list_display = ("pk", "version", "organisation", "kind", "decided_by", "decided_at")
    list_filter = ("kind",)
    readonly_fields = [field.name for field in Approval._meta.fields]
