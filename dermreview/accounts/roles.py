"""Roles and what each may do.

Two kinds of administrator, kept apart on purpose (an administrator of one clinic used to be a Django superuser,
and a superuser may do anything anywhere, including in other clinics):

- The **installation operator** is a Django superuser, normally without an organisation. They run the system
  (workers, the model, the global drafting switch, organisations, users) and hold no clinic role of their own
  right: a superuser is not automatically a clinician, reviewer or auditor, and sees no patient data unless they
  are also given a clinic role in a clinic.
- The **clinic administrator** (`clinic_admin` group) manages the users and settings of their own clinic only.

The other roles (clinician, reviewer, auditor) are the clinical ones. Every role but the operator's is a Django
group; a user's clinic roles apply to their own organisation's data only.
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
    CLINIC_ADMIN = "clinic_admin"
    OPERATOR = "operator"
    # The operator's former name, kept so that existing call sites import. Call sites that list it next to a
    # clinical role (`require_role(user, Role.CLINICIAN, Role.ADMIN)`, from when a superuser held every role)
    # no longer let an operator through: see `has_role`. Write Role.OPERATOR or Role.CLINIC_ADMIN in new code.
    ADMIN = "operator"


# The roles that work with patient data.
CLINICAL_ROLES = frozenset({Role.CLINICIAN, Role.REVIEWER, Role.AUDITOR})
# The roles that are groups and belong to a clinic: what a clinic administrator may hand out.
CLINIC_ROLES = frozenset({*CLINICAL_ROLES, Role.CLINIC_ADMIN})


def roles_of(user: Any) -> frozenset[Role]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_dermreview_roles", None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    roles = {role for role in CLINIC_ROLES if role.value in names}
    if user.is_superuser:
        roles.add(Role.OPERATOR)
    result = frozenset(roles)
    user._dermreview_roles = result
    return result


def has_role(user: Any, *roles: Role) -> bool:
    """Whether the user holds one of `roles`.

    Running the installation is never an alternative to a clinical role: where a clinical role is asked for,
    OPERATOR (alias ADMIN) among the alternatives counts for nothing, so an operator reaches patient data only
    through a clinic role they were given.
    """
    wanted = set(roles)
    if wanted & CLINICAL_ROLES:
        wanted.discard(Role.OPERATOR)
    return bool(roles_of(user) & wanted)


def is_operator(user: Any) -> bool:
    """An installation operator (an active superuser)."""
    return Role.OPERATOR in roles_of(user)


def is_clinic_admin(user: Any) -> bool:
    """An administrator of a clinic: the `clinic_admin` role and an organisation for it to apply to."""
    return Role.CLINIC_ADMIN in roles_of(user) and getattr(user, "organisation_id", None) is not None


def should_be_staff(user: Any) -> bool:
    """Whether the user needs the Django admin (`is_staff`): operators and clinic administrators, nobody else."""
    return bool(user.is_superuser) or user.groups.filter(name=Role.CLINIC_ADMIN.value).exists()


def can_create_cases(user: User) -> bool:
    return has_role(user, Role.CLINICIAN)


def can_review(user: User) -> bool:
    return has_role(user, Role.REVIEWER)


def can_audit(user: User) -> bool:
    return has_role(user, Role.AUDITOR)


def require_role(user: User, *roles: Role) -> None:
    """Raise PermissionDenied (403) unless the user holds one of the roles (see `has_role`)."""
    if not has_role(user, *roles):
        raise PermissionDenied("Your role does not allow this action.")
