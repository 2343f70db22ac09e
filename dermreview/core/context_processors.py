from __future__ import annotations

from django.http import HttpRequest

from dermreview.accounts.roles import roles_of


def dermreview(request: HttpRequest) -> dict[str, object]:
    """Role flags for navigation: which menu entries a user sees."""
    user = getattr(request, "user", None)
    return {"roles": roles_of(user) if user is not None and user.is_authenticated else frozenset()}
