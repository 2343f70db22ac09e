"""Who may see oversight pages: auditors and admins, each only for their own organisation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from dermreview.accounts.roles import Role, require_role


def oversight_organisation_id(user: Any) -> int:
    """The organisation whose oversight data `user` may see; 403 for other roles and for users without one."""
    require_role(user, Role.AUDITOR)
    if user.organisation_id is None:
        raise PermissionDenied("Oversight pages need an account that belongs to an organisation.")
    return user.organisation_id
