"""Recording that a user was shown AI drafts: one `draft.view` audit event per draft whose text they saw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import Draft
from dermreview.drafting.selectors import ImageDraftView

if TYPE_CHECKING:
    from dermreview.cases.models import Case


def draft_view_record(*, views: Sequence[ImageDraftView], user: Any, case: Case) -> None:
    """Audit `draft.view` for each draft whose fields or raw output this user is being shown.

    Called by the view that shows them, once, after the selector has decided what the user sees. Polling the
    status (which never carries draft text) is not a view of a draft and is not recorded.
    """
    shown = [view for view in views if view.shown_to_user]
    if not shown:
        return
    # The audit row names the draft row itself; one query for all of them.
    drafts = Draft.objects.only("pk", "image_id").in_bulk([view.draft_id for view in shown])
    for view in shown:
        audit_log(action="draft.view", actor=user, obj=drafts[view.draft_id], organisation=case.organisation,
                  case_id=case.pk,
                  details={"image_id": view.image_id, "status": view.status, "model_id": view.model_id,
                           "prompt_version": view.prompt_version})
