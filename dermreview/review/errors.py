"""Domain errors of the review services, and the one HTTP status each answers with.

The browser's review pages and the API both answer a review error with its class's `http_status`, so the same
refusal never reads as two different statuses:

| error              | status | when                                                                              |
|--------------------|--------|-----------------------------------------------------------------------------------|
| `ReviewInvalid`    | 400    | field errors, as a dict of field name → message                                   |
| `ReviewRoleDenied` | 403    | the user's role (or organisation) does not allow the action                       |
| `ReviewConflict`   | 409    | someone else changed the case first (stale `lock_version`), or holds its claim    |
| `ReviewNotAllowed` | 409    | not allowed in the case's current state: wrong state, the same reviewer signing    |
|                    |        | twice, blind entry missing, another's claim to release                            |

Signing (or claiming) a second time as the first reviewer is a 409: the request is valid and the reviewer may
sign, but the case's state (their own first sign-off) rules this sign-off out. `ReviewRoleDenied` is also Django's
`PermissionDenied`, so code that does not catch it still answers 403.
`ReviewConflict` carries the submitter's input (`submitted`) so the page can re-show it: nothing typed is lost.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied


class ReviewError(Exception):
    """Base class: `message` is a sentence a reviewer can act on; `http_status` what the pages and API answer."""

    http_status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReviewConflict(ReviewError):
    """Someone else saved this case, or holds its claim. Nothing was written.

    `submitted`: the input of the call that lost (fields, rejection reason, ...), to re-show.
    `current_lock_version`: the case's lock version now, for a deliberate resubmission after reloading.
    `holder`: the user holding the claim, when that is the conflict.
    """

    http_status: ClassVar[int] = 409

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

    http_status: ClassVar[int] = 409

    def __init__(self, message: str, *, code: str = "state") -> None:
        super().__init__(message)
        self.code = code


class ReviewRoleDenied(ReviewNotAllowed, PermissionDenied):
    """The user's role does not allow this. Also a PermissionDenied, so Django and DRF answer 403 by themselves."""

    http_status: ClassVar[int] = 403

    def __init__(self, message: str = "Your role does not allow this action.") -> None:
        super().__init__(message, code="role")


class ReviewInvalid(ReviewError):
    """Input errors, `errors` maps a field name (or "__all__") to a message. Nothing was written."""

    http_status: ClassVar[int] = 400

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors
