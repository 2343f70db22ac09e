"""Queueing AI drafts, and the kill switch that stops them.

The web tier's side of drafting: it creates `Draft` rows and sends a hint to the GPU queue after the upload commits.
It never imports torch or transformers; the worker's side lives in `worker.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import Draft, DraftingControl, DraftStatus
from dermreview.drafting.services.identity import ModelIdentity, model_identity

if TYPE_CHECKING:
    from dermreview.cases.models import LesionImage


@transaction.atomic
def drafts_create_for_images(*, images: Sequence[LesionImage], identity: ModelIdentity | None = None) -> list[Draft]:
    """One `queued` draft per image for the configured model; the GPU task is sent once the transaction commits.

    Safe to call inside the upload transaction and safe to call twice: an image that already has a draft for this
    model, revision and prompt version keeps it (and is not queued again). While the kill switch is off the drafts
    are created but nothing is sent; turning drafting back on queues them.
    """
    identity = identity or model_identity()
    now = timezone.now()
    drafts: list[Draft] = []
    created: list[Draft] = []
    for image in images:
        draft, was_created = Draft.objects.get_or_create(
            image=image,
            model_id=identity.model_id,
            model_revision=identity.model_revision,
            prompt_version=identity.prompt_version,
            # A new draft starts `queued` (the model's default); only Draft's transitions change it later.
            defaults={"queued_at": now, "backend": identity.backend},
        )
        drafts.append(draft)
        if was_created:
            created.append(draft)
    if created and DraftingControl.drafting_allowed():
        drafts_send(draft_ids=[d.pk for d in created])
    return drafts


def drafts_send(*, draft_ids: Iterable[int]) -> None:
    """Send one `draft_generate` message per draft when the current transaction commits.

    The message is only a hint: the worker claims rows from the database, so a lost or duplicated message costs
    at most a delay (the reconciler re-sends) or a no-op.
    """
    for draft_id in draft_ids:
        # delay_on_commit, made robust: a broker that is down must not turn a committed upload into an error page.
        # The draft stays `queued` and the reconciler sends it once the broker is back.
        transaction.on_commit(partial(_send, draft_id), robust=True)


def _send(draft_id: int) -> None:
    from dermreview.drafting.tasks import draft_generate  # the task module imports this one

    # Give up quickly on an unreachable broker (the request is waiting); the reconciler retries later.
    draft_generate.apply_async((draft_id,), retry=True, retry_policy={
        "max_retries": 1, "interval_start": 0.2, "interval_step": 0.2, "interval_max": 0.2,
    })


@transaction.atomic
def drafting_set_enabled(*, enabled: bool, user: Any, reason: str) -> DraftingControl:
    """Turn AI drafting on or off for the whole deployment (admins only; the reason is required and audited).

    Off: uploads still create `queued` drafts but no work is sent and workers claim nothing, so every image goes to
    manual entry. On: the backlog of queued drafts is sent to the workers.
    """
    require_role(user, Role.ADMIN)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for turning AI drafting %(state)s.",
                              code="reason_required", params={"state": "on" if enabled else "off"})
    control = DraftingControl.objects.select_for_update().filter(pk=1).first() or DraftingControl.current()
    previous = control.enabled
    control.enabled = enabled
    control.reason = reason
    control.changed_by = user
    control.changed_at = timezone.now()
    control.save()
    backlog: list[int] = []
    if enabled and DraftingControl.drafting_allowed():
        backlog = list(Draft.objects.filter(status=DraftStatus.QUEUED).values_list("pk", flat=True))
        drafts_send(draft_ids=backlog)
    audit_log(
        action="drafting.kill_switch", actor=user, obj=control,
        details={"enabled": enabled, "previous": previous, "reason": reason, "backlog_sent": len(backlog)},
    )
    return control


@transaction.atomic
def drafts_requeue(*, draft_ids: Sequence[int], user: Any) -> int:
    """Give `failed` drafts a fresh set of attempts and queue them again (admins; e.g. after fixing the model).

    Drafts in any other state are left alone. Returns how many were requeued; each is audited `draft.requeue`.
    """
    require_role(user, Role.ADMIN)
    requeued: list[int] = []
    candidates = Draft.objects.select_for_update().filter(pk__in=list(draft_ids), status=DraftStatus.FAILED)
    for draft in candidates.select_related("image__case__organisation"):
        previous = {"failure_kind": draft.failure_kind, "attempts": draft.attempts}
        if not draft.requeue(fresh=True):
            continue
        audit_log(action="draft.requeue", actor=user, obj=draft, organisation=draft.image.case.organisation,
                  details=previous)
        requeued.append(draft.pk)
    if requeued and DraftingControl.drafting_allowed():
        drafts_send(draft_ids=requeued)
    return len(requeued)
