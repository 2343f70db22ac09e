"""The AI drafts of a case's photos as a given user may see them: drafting's draft views, with review's blind rule.

Drafting words each draft's status; whether its text may be shown also depends on the blind-first rule, which is
the review app's (`services.blind.draft_visible_to`). Drafting may not import review, so the two meet here, and
every page and API endpoint that shows drafts asks this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dermreview.accounts.roles import can_audit, can_review
from dermreview.cases.models import Case, LesionImage
from dermreview.drafting.selectors import ImageDraftView, image_draft_views
from dermreview.review.services.blind import draft_visible_to


def may_see_draft_fields(*, user: Any, case: Case) -> bool:
    """Reviewers, auditors and admins of the case's organisation (checked by the caller), blind-first rules kept."""
    return (can_review(user) or can_audit(user)) and draft_visible_to(case=case, user=user)


def case_draft_views(*, user: Any, case: Case, images: Sequence[LesionImage]) -> list[ImageDraftView]:
    """The draft status (and, where `user` may see it, the draft) of each of `case`'s `images`, in that order."""
    return image_draft_views(images=images, case=case, user=user,
                             fields_visible=may_see_draft_fields(user=user, case=case))
