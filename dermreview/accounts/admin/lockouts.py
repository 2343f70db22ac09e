"""django-axes' login records in the admin, scoped: a clinic administrator sees (and, by deleting the failed
attempts, unlocks) their own clinic's usernames; an operator sees every record, unknown usernames included.

django-axes registers its own admins, which show every record to every staff user with the model permission (and
to every superuser); they are replaced here.
"""

from __future__ import annotations

from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db.models import Q

from dermreview.accounts.admin.scoping import OrganisationScopedAdmin
from dermreview.accounts.models import User
from dermreview.accounts.roles import Role

for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class _LoginRecordAdmin(OrganisationScopedAdmin):
    """A record belongs to the clinic of the user whose username it names."""

    organisation_path = "username"
    organisation_roles = frozenset({Role.CLINIC_ADMIN})
    operator_sees_all = True
    # What the browser sent (form data, headers) stays out of the audit trail.
    audit_skip_fields = ("get_data", "post_data", "http_accept", "user_agent")
    # django-axes' "clean up expired attempts" acts on every clinic's records at once.
    actions: list[Any] = []

    def organisation_filter(self, organisation_id: int) -> Q:
        return Q(username__in=User.objects.filter(organisation_id=organisation_id).values("username"))

    def audit_organisation(self, obj: Any) -> Any:
        user = User.objects.filter(username=obj.username).select_related("organisation").first()
        return user.organisation if user is not None else None


@admin.register(AccessAttempt)
class AccessAttemptAdmin(_LoginRecordAdmin, axes_admin.AccessAttemptAdmin):
    allow_delete = True  # deleting a username's failed attempts lifts its lockout


@admin.register(AccessLog)
class AccessLogAdmin(_LoginRecordAdmin, axes_admin.AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(_LoginRecordAdmin, axes_admin.AccessFailureLogAdmin):
    pass
