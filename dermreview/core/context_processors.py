from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dermreview.accounts.roles import Role, roles_of
from dermreview.review.selectors.notifications import unread_count


def dermreview(request: HttpRequest) -> dict[str, object]:
    """What the header needs on every page: the role flags for its menu, and a clinician's unread notifications.

    The count is read here, once, rather than by a query inside the template; lazily, so a response that renders
    no header (a fragment, JSON) costs nothing.
    """
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None and user.is_authenticated else frozenset()
    unread: object = SimpleLazyObject(lambda: unread_count(user=user)) if Role.CLINICIAN in roles else 0
    return {"roles": roles, "unread_notifications": unread}
