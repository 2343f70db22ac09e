"""Django admin for AI drafting: drafts (status only, with a requeue action for failed ones), the drafting kill switches
and worker heartbeats, each on `OrganisationScopedAdmin` (rows scoped to what the signed-in user holds):

- **Drafts** show status, timing and model identity only: never the six fields nor the raw output. Drafts are read
  on the review pages, which audit every view (`draft.view`) and keep a blind-first case's draft hidden until the
  reviewer's own finding is in; the admin can do neither, so it shows no draft text at all. Admin staff holding a
  clinic role (clinical, or the clinic's administrator) see their clinic's drafts; an operator sees none of their
  own right.
- **Kill switches**: a clinic administrator sees and changes their own clinic's switch, an operator the global one;
  any other row is "not found". The change form records who and why through `drafting_set_enabled`, which writes
  the audit events (`drafting.kill_switch`, `drafting.kill_switch.global`), so the admin's own change event is off.
- **Worker heartbeats** belong to the installation: operators only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from dermreview.accounts.admin import OrganisationScopedAdmin
from dermreview.accounts.roles import CLINICAL_ROLES, Role, is_clinic_admin, is_operator
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftingControl, WorkerHeartbeat
from dermreview.drafting.services.queueing import (
    drafting_set_enabled,
    drafting_switch_refusal,
    drafts_requeue,
)

# What the draft admin shows: everything but the draft's text (the six fields and the raw model output).
DRAFT_ADMIN_FIELDS = [f.name for f in Draft._meta.fields if f.name not in {*FINDING_FIELDS, "raw_output"}]


@admin.register(Draft)
class DraftAdmin(OrganisationScopedAdmin):
    """Drafts are written only by the workers; the admin shows their status and can requeue failed ones.

    It never shows a draft's text (the six fields, the raw output): see the module docstring.
    """

    organisation_path = "image__case__organisation"
    organisation_roles = frozenset({*CLINICAL_ROLES, Role.CLINIC_ADMIN})
    list_display = ["id", "image", "status", "failure_kind", "attempts", "model_id", "model_revision",
                    "resolved_revision", "prompt_version", "backend", "batch_size", "queue_wait_ms", "generate_ms", "created_at"]
    list_filter = ["status", "failure_kind", "backend", "model_id", "prompt_version"]
    search_fields = ["=id", "=image__id", "=image__case__id", "model_id"]
    date_hierarchy = "created_at"
    actions = ["requeue_failed"]
    list_select_related = ["image"]
    fields = DRAFT_ADMIN_FIELDS
    readonly_fields = DRAFT_ADMIN_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Draft]:
        return super().get_queryset(request).defer(*FINDING_FIELDS, "raw_output")

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return is_clinic_admin(request.user) or is_operator(request.user)

    @admin.action(description="Requeue the selected failed drafts (fresh attempts)", permissions=["requeue"])
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[Draft]) -> None:
        try:
            count = drafts_requeue(draft_ids=list(queryset.values_list("pk", flat=True)), user=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{count} failed draft(s) requeued; drafts in other states were left alone.")


class DraftingControlForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for this change", widget=forms.Textarea(attrs={"rows": 3}), required=True,
        help_text="Required. Recorded with your name in the audit trail of every clinic the switch covers.",
    )

    class Meta:
        model = DraftingControl
        fields = ["enabled"]


@admin.register(DraftingControl)
class DraftingControlAdmin(OrganisationScopedAdmin):
    """The kill switches. Off: uploads continue, images go to manual entry; on again: the backlog is drafted.

    Each user sees the switches they hold: their clinic's (clinic administrators), the global one (operators).
    """

    organisation_roles = frozenset({Role.CLINIC_ADMIN})
    operator_sees_all = True  # opens the admin to operators; `scope_queryset` shows them the global row only
    allow_change = True
    # `drafting_set_enabled` audits every change where the clinics concerned see it; no second, generic event.
    audit_skip_fields = ("organisation", "enabled", "reason", "changed_by", "changed_at")
    form = DraftingControlForm
    list_display = ["__str__", "changed_by", "changed_at", "reason"]
    readonly_fields = ["organisation", "reason", "changed_by", "changed_at"]
    fields = ["organisation", "enabled", "change_reason", "reason", "changed_by", "changed_at"]

    def held_scopes(self, request: HttpRequest) -> list[int | None]:
        """The switches this user holds, by organisation id (None: the global switch)."""
        scopes: list[int | None] = [None] if is_operator(request.user) else []
        if is_clinic_admin(request.user):
            scopes.append(request.user.organisation_id)
        return scopes

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        held = Q(pk__in=[])
        for organisation_id in self.held_scopes(request):
            held |= Q(organisation__isnull=True) if organisation_id is None else Q(organisation_id=organisation_id)
        return queryset.filter(held).select_related("organisation", "changed_by")

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> DraftingControl:
        control = super().get_object(request, object_id, from_field)
        if control is None:  # another clinic's switch, or the global one for a clinic administrator
            raise Http404("No such drafting switch.")
        return control

    def has_change_permission(self, request: HttpRequest, obj: DraftingControl | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or not drafting_switch_refusal(user=request.user, organisation=obj.organisation)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The rows are created (enabled) on first use; a user who holds one switch goes straight to it.
        controls = [DraftingControl.for_organisation(scope) for scope in self.held_scopes(request)]
        if len(controls) == 1 and self.may_use(request):
            return HttpResponseRedirect(reverse("admin:drafting_draftingcontrol_change", args=[controls[0].pk]))
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: DraftingControl, form: Any, change: bool) -> None:
        try:
            drafting_set_enabled(enabled=form.cleaned_data["enabled"], user=request.user,
                                 reason=form.cleaned_data["change_reason"], organisation=obj.organisation)
        except ValidationError as exc:  # the form already requires a reason; kept for a blank-after-strip one
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        obj.refresh_from_db()


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(OrganisationScopedAdmin):
    """The inference workers serve every clinic: their heartbeats are the operators' (clinics see them on the
    governance page)."""

    organisation_path = None
    operator_sees_all = True
    list_display = ["worker", "backend", "model_id", "model_revision", "prompt_version", "model_loaded",
                    "last_seen", "last_error"]
    list_filter = ["model_loaded", "backend"]
    readonly_fields = [field.name for field in WorkerHeartbeat._meta.fields]
