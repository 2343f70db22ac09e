"""Domain errors of the review services. Views and the API map them to responses.

- `ReviewConflict` (HTTP 409): someone else changed the case first (stale `lock_version`), or another reviewer
  holds an unexpired claim. Carries the submitter's input (`submitted`) so the page can re-show it: nothing typed
  is lost.
- `ReviewNotAllowed` (HTTP 409/400): the action is not allowed now (wrong case state, the same reviewer signing
  twice, blind entry missing). Its subclass `ReviewRoleDenied` (wrong role) is also Django's `PermissionDenied`,
  so it becomes a 403 without any mapping.
- `ReviewInvalid` (HTTP 400): field errors, as a dict of field name → message.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


class ReviewError(Exception):
    """Base class: `message` is a sentence a reviewer can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReviewConflict(ReviewError):
    """Someone else saved this case, or holds its claim. Nothing was written.

    `submitted`: the input of the call that lost (fields, rejection reason, ...), to re-show.
    `current_lock_version`: the case's lock version now, for a deliberate resubmission after reloading.
    `holder`: the user holding the claim, when that is the conflict.
    """

    def __init__(
        self,
        message: str,
        *,
        submitted: dict[str, Any] | None = None,
        current_lock_version: int | None = None,
        holder: Any = None,
    ) -> None:
        super().__init__(message)
        self.submitted = submitted or {}
        self.current_lock_version = current_lock_version
        self.holder = holder


class ReviewNotAllowed(ReviewError):
    """The action is not allowed for this user or in the case's current state. Nothing was written.

    `code` names the reason for callers that map it: "role", "state", "same_reviewer", "blind_entry_required",
    "claim".
    """

    def __init__(self, message: str, *, code: str = "state") -> None:
        super().__init__(message)
        self.code = code


class ReviewRoleDenied(ReviewNotAllowed, PermissionDenied):
    """The user's role does not allow this. Also a PermissionDenied, so Django and DRF answer 403 by themselves."""

    def __init__(self, message: str = "Your role does not allow this action.") -> None:
        super().__init__(message, code="role")


class ReviewInvalid(ReviewError):
    """Input errors, `errors` maps a field name (or "__all__") to a message. Nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors
