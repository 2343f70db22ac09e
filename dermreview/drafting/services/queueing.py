"""Queueing AI drafts, and the kill switches (global and per clinic) that stop them.

The web tier's side of drafting: it creates `Draft` rows and sends a hint to the GPU queue after the upload commits.
It never imports torch or transformers; the worker's side lives in `worker.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dermreview.accounts.models import Organisation
from dermreview.accounts.roles import is_clinic_admin, is_operator
from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import Draft, DraftingControl, DraftStatus
from dermreview.drafting.services.gating import paused_organisation_ids
from dermreview.drafting.services.identity import ModelIdentity, model_identity
from dermreview.drafting.services.installation_audit import audit_every_clinic

if TYPE_CHECKING:
    from dermreview.cases.models import LesionImage


@transaction.atomic
def drafts_create_for_images(*, images: Sequence[LesionImage], identity: ModelIdentity | None = None) -> list[Draft]:
    """One `queued` draft per image for the configured model; the GPU task is sent once the transaction commits.

    Safe to call inside the upload transaction and safe to call twice: an image that already has a draft for this
    model, revision and prompt version keeps it (and is not queued again). While a switch that covers an image is
    off (the global one or its clinic's), its draft is created but nothing is sent; turning drafting on sends it.
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
    drafts_send(draft_ids=drafts_sendable(draft_ids=[d.pk for d in created]))
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


def drafting_switch_refusal(*, user: Any, organisation: Organisation | None) -> str:
    """Why `user` may not change this switch (`organisation=None`: the global one), or "" when they may.

    The global switch is the installation operators' (superusers'); a clinic's switch is its own administrators'.
    """
    if organisation is None:
        return "" if is_operator(user) else "Only the installation's operators may change the global drafting switch."
    if not is_clinic_admin(user):
        return "Only the clinic's administrators may change its drafting switch."
    if user.organisation_id != organisation.pk:
        return "You may change only your own clinic's drafting switch."
    return ""


@transaction.atomic
def drafting_set_enabled(
    *, enabled: bool, user: Any, reason: str, organisation: Organisation | None,
) -> DraftingControl:
    """Turn AI drafting on or off for one clinic, or for every clinic (`organisation=None`: the global switch).

    A clinic's switch belongs to that clinic's administrators, the global one to the installation's operators; the
    reason is required. Off: uploads still create `queued` drafts but no work is sent and workers claim none of
    them, so those images go to manual entry. On: the queued drafts it released (those whose clinic, installation
    and setting all allow drafting now) are sent to the workers. Audited where the clinics affected see it: a
    clinic's change under that clinic, a global change once under every clinic.
    """
    refusal = drafting_switch_refusal(user=user, organisation=organisation)
    if refusal:
        raise PermissionDenied(refusal)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for turning AI drafting %(state)s.",
                              code="reason_required", params={"state": "on" if enabled else "off"})
    organisation_id = organisation.pk if organisation is not None else None
    pk = DraftingControl.for_organisation(organisation_id).pk
    control = DraftingControl.objects.select_for_update().get(pk=pk)
    previous = control.enabled
    control.enabled = enabled
    control.reason = reason
    control.changed_by = user
    control.changed_at = timezone.now()
    control.save()
    backlog = drafts_send_backlog(organisation_id=organisation_id) if enabled else []
    details = {"enabled": enabled, "previous": previous, "reason": reason, "backlog_sent": len(backlog),
               "scope": "clinic" if organisation is not None else "global"}
    _audit_switch(control=control, user=user, details=details)
    return control


def _audit_switch(*, control: DraftingControl, user: Any, details: dict[str, Any]) -> None:
    if control.organisation_id is not None:
        audit_log(action="drafting.kill_switch", actor=user, obj=control, organisation=control.organisation,
                  details=details)
        return
    # The global switch affects every clinic: one event in each clinic's trail, so each clinic's auditors see it.
    audit_every_clinic(action="drafting.kill_switch.global", actor=user, obj=control, details=details)


def drafts_send_backlog(*, organisation_id: int | None) -> list[int]:
    """Send the queued drafts of a clinic (None: of every clinic) that drafting is allowed for now; their ids.

    What turning a switch on or approving a model version releases: the drafts that waited while it was paused.
    """
    queued = Draft.objects.filter(status=DraftStatus.QUEUED)
    if organisation_id is not None:
        queued = queued.filter(image__case__organisation_id=organisation_id)
    backlog = drafts_sendable(draft_ids=list(queued.values_list("pk", flat=True)))
    drafts_send(draft_ids=backlog)
    return backlog


def drafts_sendable(*, draft_ids: Sequence[int]) -> list[int]:
    """Of these drafts, the ones drafting is allowed for now: the setting, the global switch, their clinic's switch,
    and the configured model being their clinic's approved version (`gating`)."""
    if not draft_ids or not DraftingControl.drafting_allowed():
        return []
    paused = paused_organisation_ids()
    if not paused:
        return list(draft_ids)
    allowed = set(DraftingControl.exclude_paused(Draft.objects.filter(pk__in=list(draft_ids)), paused)
                  .values_list("pk", flat=True))
    return [pk for pk in draft_ids if pk in allowed]


@transaction.atomic
def drafts_requeue(*, draft_ids: Sequence[int], user: Any) -> int:
    """Give `failed` drafts a fresh set of attempts and queue them again (e.g. after fixing the model).

    Operators may requeue any draft, a clinic's administrators their own clinic's; drafts in any other state (or
    another clinic) are left alone. Returns how many were requeued; each is audited `draft.requeue`.
    """
    if not (is_operator(user) or is_clinic_admin(user)):
        raise PermissionDenied("Only operators and clinic administrators may requeue drafts.")
    requeued: list[int] = []
    candidates = Draft.objects.select_for_update().filter(pk__in=list(draft_ids), status=DraftStatus.FAILED)
    if not is_operator(user):
        candidates = candidates.filter(image__case__organisation_id=user.organisation_id)
    for draft in candidates.select_related("image__case__organisation"):
        previous = {"failure_kind": draft.failure_kind, "attempts": draft.attempts}
        if not draft.requeue(fresh=True):
            continue
        audit_log(action="draft.requeue", actor=user, obj=draft, organisation=draft.image.case.organisation,
                  details=previous)
        requeued.append(draft.pk)
    drafts_send(draft_ids=drafts_sendable(draft_ids=requeued))
    return len(requeued)
