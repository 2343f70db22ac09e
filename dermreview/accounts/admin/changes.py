"""Every change made in the Django admin, in the audit trail with its old and new values.

One event per object: `admin.add`, `admin.change` or `admin.delete`, with `details["changes"]` as
`{field: [old, new]}` (many-to-many fields as sorted lists of names, foreign keys as primary keys). Secret fields
(`audit_hidden_fields`, the password) never enter the trail: their old value reads "(hidden)", a new one
"(changed)". Each event is written in the transaction of the change it records (the admin's add, change and
delete views are atomic; the bulk delete and the user admin's password form are made so here).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from dermreview.audit.services.events import audit_log

HIDDEN = "(hidden)"
CHANGED = "(changed)"


def object_snapshot(obj: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The values of `obj`'s fields, many-to-many included, in a form fit to compare and to record."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if not field.primary_key and field.name not in skip:
            values[field.name] = field.value_from_object(obj)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            if field.name not in skip:
                values[field.name] = sorted(str(related) for related in getattr(obj, field.name).all())
    return values


def snapshot_changes(
    before: dict[str, Any], after: dict[str, Any], *, hidden: tuple[str, ...] = ()
) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields whose value differs; hidden fields say only that they changed."""
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in hidden:
            old, new = (HIDDEN if old else None), (CHANGED if new else None)
        changes[name] = [old, new]
    return changes


class AuditedAdminMixin:
    """Audits what a ModelAdmin adds, changes and deletes (see the module docstring). Put it before ModelAdmin.

    Hooks for subclasses: `after_save` (runs after the related objects are saved, before the values are compared:
    derived fields), `audit_details` (more keys for the event) and `changes_recorded` (consequences of a change,
    such as ending a user's sessions), all inside the change's transaction.
    """

    # True where every save and delete goes through a service that audits it (the admin's save_model calls it):
    # the mixin then adds no event of its own.
    audited_by_service: ClassVar[bool] = False
    audit_hidden_fields: ClassVar[tuple[str, ...]] = ("password",)
    # Fields left out of the trail entirely (bulky, or holding what others typed, such as a failed login's form).
    audit_skip_fields: ClassVar[tuple[str, ...]] = ()

    def audit_snapshot(self, obj: models.Model) -> dict[str, Any]:
        return object_snapshot(obj, skip=self.audit_skip_fields)

    def audit_organisation(self, obj: models.Model) -> Any:
        """The organisation whose trail records a change of `obj` (None: the actor's)."""
        return getattr(obj, "organisation", None)

    def audit_details(self, obj: models.Model, changes: dict[str, list[Any]]) -> dict[str, Any]:
        return {}

    def after_save(self, request: HttpRequest, obj: Any, *, change: bool) -> None:
        """Called once the object and its related objects are saved, before its changes are recorded."""

    def changes_recorded(self, request: HttpRequest, obj: Any, changes: dict[str, list[Any]], *, added: bool) -> None:
        """Called after the change of `obj` was recorded."""

    # --- Django's hooks ---------------------------------------------------------------------------------------------
    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None:
            # Before any form touches it: a bound ModelForm writes the new values into this very instance.
            obj._admin_audit_before = self.audit_snapshot(obj)
        return obj

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not hasattr(obj, "_admin_audit_before"):
            # Saved without get_object (the changelist's editable rows): the old values are still in the database.
            obj._admin_audit_before = self.audit_snapshot(type(obj)._default_manager.get(pk=obj.pk))
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        self.after_save(request, form.instance, change=change)
        self._audit_save(request, form.instance, added=not change)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # Saves that do not pass through save_related (the user admin's password form) are recorded here.
        self._audit_save(request, obj, added=False)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit_delete(obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic(using=queryset.db):
            for obj in queryset:
                self._audit_delete(obj)
            super().delete_queryset(request, queryset)  # type: ignore[misc]

    # --- the events -------------------------------------------------------------------------------------------------
    def _audit_save(self, request: HttpRequest, obj: Any, *, added: bool) -> None:
        if self.audited_by_service or getattr(obj, "_admin_audit_done", False):
            return
        obj._admin_audit_done = True
        after = self.audit_snapshot(obj)
        before = {} if added else getattr(obj, "_admin_audit_before", after)
        changes = snapshot_changes(before, after, hidden=self.audit_hidden_fields)
        if not changes and not added:
            return
        audit_log(action="admin.add" if added else "admin.change", obj=obj, organisation=self.audit_organisation(obj),
                  details={"changes": changes, **self.audit_details(obj, changes)})
        obj._admin_audit_before = after
        self.changes_recorded(request, obj, changes, added=added)

    def _audit_delete(self, obj: Any) -> None:
        if self.audited_by_service:
            return
        changes = snapshot_changes(self.audit_snapshot(obj), {}, hidden=self.audit_hidden_fields)
        audit_log(action="admin.delete", obj=obj, organisation=self.audit_organisation(obj),
                  details={"changes": changes, "object": str(obj)[:200]})
