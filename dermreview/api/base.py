"""The one base class every API resource goes through: organisation scoping, role checks, login handling.

- `get_queryset()` is always `Model.objects.visible_to(user)` (then narrowed by the view): an object of another
  organisation is simply not there, so outsiders get 404, never 403, exactly as in the browser.
- Writes need a role: each view lists `write_roles` per action; reads need only a signed-in user (what they read
  is already narrowed). Auditors hold no write role anywhere, so they are read-only by construction.
- The project's LoginRequiredMiddleware only knows session logins and would redirect a token call to the login
  page; DRF marks its views `login_required = False` and authenticates them itself (401 JSON for anonymous
  callers). A test checks that every API route answers anonymous callers in JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import permissions, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from dermreview.accounts.roles import Role, has_role
from dermreview.cases.access import get_case_for_user
from dermreview.cases.models import Case

WRITE_ROLE_MESSAGE = "Your role does not allow this action."


def _has_handler(view: Any, method: str) -> bool:
    action_map = getattr(view, "action_map", None)
    if action_map is not None:
        return method.lower() in action_map
    return hasattr(view, method.lower())


class RoleWritePermission(permissions.BasePermission):
    """Safe methods: any signed-in user. Anything else: one of the view's `write_roles` for the action."""

    message = WRITE_ROLE_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS or not _has_handler(view, request.method):
            # No handler: let the view answer 405, which is true for everyone, rather than a misleading 403.
            return True
        if request.user.organisation_id is None:
            self.message = "Your account belongs to no clinic, so it cannot change clinical data."
            return False
        return has_role(request.user, *view.get_write_roles())


class ApiViewMixin:
    """Role checks for writes, throttle scopes, and JSON for every rendered response."""

    permission_classes: ClassVar[list[type[permissions.BasePermission]]] = [RoleWritePermission]
    # Action (or lower-case method) -> roles allowed to perform it. Absent: nobody may write.
    write_roles: ClassVar[dict[str, tuple[Role, ...]]] = {}
    throttle_scopes: ClassVar[dict[str, str]] = {}
    # Action -> extra documented error statuses (e.g. 409), for the OpenAPI document.
    extra_error_statuses: ClassVar[dict[str, tuple[int, ...]]] = {}

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # JSON whatever the Accept header says: errors are never HTML and never a 406. Photo and export bodies are
        # Django responses that bypass rendering, so they keep their own content types.
        return JSONRenderer(), JSONRenderer.media_type

    def get_write_roles(self) -> tuple[Role, ...]:
        request: Request = self.request  # type: ignore[attr-defined]
        action = getattr(self, "action", None) or request.method.lower()
        return self.write_roles.get(action) or self.write_roles.get(request.method.lower()) or ()


class ApiView(ApiViewMixin, APIView):
    """A plain (non-resource) API endpoint: token exchange, `me`, export."""


class OrganisationScopedViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Base of every resource viewset. Subclasses set `queryset` to a manager whose QuerySet has `visible_to`,
    and may narrow it further in `narrow()` (select_related, annotations, a parent case)."""

    queryset: ClassVar[QuerySet[Any]]

    def get_queryset(self) -> QuerySet[Any]:
        # Scoping happens here and nowhere else: every list, detail and nested route reads through it.
        scoped = self.queryset.model.objects.visible_to(self.request.user)
        return self.narrow(scoped)

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def get_parent_case(self) -> Case:
        """The `{case_pk}` of a nested route, 404 outside the caller's organisation."""
        return get_case_for_user(self.request.user, self.kwargs["case_pk"])
