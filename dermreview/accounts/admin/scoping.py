"""One base for every ModelAdmin of the project: rows scoped to the user's organisation, changes audited.

The Django admin trusts its users: a superuser sees every row of every model. DermReview's admin users are of two
kinds (see dermreview/accounts/roles.py) and neither may see everything:

- a **clinic administrator** (or a clinic member who is also admin staff) sees their own organisation's rows and
  nothing else: querysets, the choices of every foreign-key and many-to-many field, list filters, search and
  autocomplete all run on the scoped queryset, so another clinic's row is "not found" and never a choice;
- an **operator** (superuser) sees installation-wide rows and, where `operator_sees_all` says so, every
  organisation's users, organisations and API tokens, but no patient data: for those admins an operator is treated
  like anyone else and needs a clinic role in the row's organisation.

Who may open an admin and which rows it shows follow from four class attributes; `has_*_permission` follow from
them too, so Django's per-model permissions (which the roles never grant) play no part:

    organisation_path   lookup from the model to its Organisation ("organisation", "case__organisation",
                        "pk" on Organisation itself); None for installation-wide models (operators only)
    organisation_roles  roles that open the admin for their own organisation's rows (default: the clinical roles,
                        which is right for patient data; CLINIC_ADMIN for users and settings)
    operator_sees_all   operators see every row (users, organisations, tokens) instead of needing a clinic role
    allow_add, allow_change, allow_delete   what those who may view may also do (default: view only)

Objects reach the permission checks only through `get_queryset` (Django's views look rows up with it), so an
object outside the scope is "not found" before any permission is asked.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from dermreview.accounts.admin.changes import AuditedAdminMixin
from dermreview.accounts.roles import CLINICAL_ROLES, Role, is_operator, roles_of


class OrganisationScopedAdmin(AuditedAdminMixin, admin.ModelAdmin):
    organisation_path: ClassVar[str | None] = "organisation"
    organisation_roles: ClassVar[frozenset[Role]] = CLINICAL_ROLES
    operator_sees_all: ClassVar[bool] = False
    allow_add: ClassVar[bool] = False
    allow_change: ClassVar[bool] = False
    allow_delete: ClassVar[bool] = False

    # --- who, and which rows ----------------------------------------------------------------------------------------
    def organisation_filter(self, organisation_id: int) -> Q:
        """The rows of one organisation."""
        return Q(**{self.organisation_path: organisation_id})

    def has_organisation_role(self, user: Any) -> bool:
        return (self.organisation_path is not None and getattr(user, "organisation_id", None) is not None
                and bool(roles_of(user) & self.organisation_roles))

    def sees_all(self, user: Any) -> bool:
        return self.operator_sees_all and is_operator(user)

    def may_use(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return self.sees_all(user) or self.has_organisation_role(user)

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        user = request.user
        if self.sees_all(user):
            return queryset
        if not self.has_organisation_role(user):
            return queryset.none()
        return queryset.filter(self.organisation_filter(user.organisation_id))

    # --- Django's hooks: rows ---------------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope_queryset(request, super().get_queryset(request))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> tuple[Any, bool]:
        # Also the autocomplete's: it searches this admin's queryset when another form's field points here.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return self.scope_queryset(request, queryset), may_have_duplicates

    def get_field_queryset(self, db: str | None, db_field: Any, request: HttpRequest) -> QuerySet[Any] | None:
        # The choices of a foreign-key or many-to-many field: the related model's admin decides what this user sees.
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(related_admin, OrganisationScopedAdmin):
            return related_admin.get_queryset(request)
        return super().get_field_queryset(db, db_field, request)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        # A filter on a relation lists every row of the related model (every clinic's name, every user): only the
        # values that occur in this user's rows are offered instead.
        return [self._related_only(entry) for entry in super().get_list_filter(request)]

    def _related_only(self, entry: Any) -> Any:
        if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
            return (entry, admin.RelatedOnlyFieldListFilter)
        return entry

    # --- Django's hooks: permissions --------------------------------------------------------------------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.may_use(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_use(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.allow_add and self.may_use(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_change and self.may_use(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_delete and self.may_use(request)

    # --- the audit trail --------------------------------------------------------------------------------------------
    def audit_organisation(self, obj: Model) -> Any:
        if self.organisation_path is None:
            return None
        if self.organisation_path == "pk":
            return obj
        target: Any = obj
        for part in self.organisation_path.split("__"):
            target = getattr(target, part, None)
        return target


class OrganisationScopedInline(admin.options.InlineModelAdmin):
    """A read-only inline that its parent admin's scope and permissions govern (put it before TabularInline)."""

    def _parent_admin(self) -> OrganisationScopedAdmin:
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent_admin().may_use(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
