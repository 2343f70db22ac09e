"""Roles and what each may do.

A role is a Django group. Superusers are admins: they may do what every role may, but still only inside
their own organisation's data (admins without an organisation see only the Django admin).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from dermreview.accounts.models import User


class Role(StrEnum):
    CLINICIAN = "clinician"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    ADMIN = "admin"


def roles_of(user: Any) -> frozenset[Role]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_dermreview_roles", None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    roles = {role for role in Role if role.value in names}
    if user.is_superuser:
        roles |= set(Role)
    result = frozenset(roles)
    user._dermreview_roles = result
    return result


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def can_create_cases(user: User) -> bool:
    return has_role(user, Role.CLINICIAN, Role.ADMIN)


def can_review(user: User) -> bool:
    return has_role(user, Role.REVIEWER, Role.ADMIN)


def can_audit(user: User) -> bool:
    return has_role(user, Role.AUDITOR, Role.ADMIN)


def require_role(user: User, *roles: Role) -> None:
    """Raise PermissionDenied (403) unless the user holds one of the roles."""
    if not has_role(user, *roles):
        raise PermissionDenied("Your role does not allow this action.")
