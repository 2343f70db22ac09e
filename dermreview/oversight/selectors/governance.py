"""What the model governance page shows: the configured model, the workers' heartbeats, the queue, the kill switches.

Read-only (it creates no switch rows). The configuration comes from `settings.DERMREVIEW_WORKER_CONFIG`
(`inference_worker.WorkerConfig`, parsed from the environment without importing torch); flipping a kill switch is
the drafting service's `drafting_set_enabled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from dermreview.drafting.models import DraftingControl, WorkerHeartbeat
from dermreview.drafting.services.gating import version_approved
from dermreview.drafting.services.identity import ModelIdentity, model_identity, worker_config
from dermreview.drafting.services.queue_depth import QueueDepth, queue_depth

# A worker that has not beaten for this many heartbeat intervals is shown as silent.
_SILENT_AFTER_BEATS = 3


@dataclass(frozen=True)
class WorkerRow:
    heartbeat: WorkerHeartbeat
    alive: bool
    serves_configured_model: bool


@dataclass(frozen=True)
class SwitchStatus:
    """One kill switch as this viewer sees it: the viewer's clinic's, or the global one."""

    scope: str  # "clinic" or "global"
    control: DraftingControl  # unsaved (on, never changed) when the row does not exist yet
    changed_by: str  # who flipped it last, as this viewer may see it

    @property
    def is_global(self) -> bool:
        return self.scope == "global"


@dataclass(frozen=True)
class GovernanceStatus:
    identity: ModelIdentity
    config: dict[str, Any]
    workers: list[WorkerRow]
    queue: QueueDepth
    clinic_switch: SwitchStatus | None  # None for an operator who belongs to no clinic
    global_switch: SwitchStatus
    env_enabled: bool
    silent_after: timedelta
    # The configured model is the viewer's clinic's approved version (`drafting.services.gating`); True without one.
    version_approved: bool = True

    @property
    def switches_on(self) -> bool:
        return all(s.control.enabled for s in self.switches) and self.env_enabled

    @property
    def drafting_on(self) -> bool:
        """Whether the viewer's clinic gets AI drafts now (the setting and both switches allow it, and the configured
        model is its approved version); for a viewer without a clinic, whether the switches let any clinic have them."""
        return self.switches_on and self.version_approved

    @property
    def switches(self) -> tuple[SwitchStatus, ...]:
        return tuple(s for s in (self.clinic_switch, self.global_switch) if s is not None)

    @property
    def live_workers(self) -> int:
        return sum(1 for w in self.workers if w.alive)


def governance_status(*, viewer: Any, now: datetime | None = None) -> GovernanceStatus:
    now = now or timezone.now()
    identity = model_identity()
    cfg = worker_config()
    silent_after = timedelta(seconds=settings.DERMREVIEW_HEARTBEAT_EVERY_S * _SILENT_AFTER_BEATS)
    workers = [
        WorkerRow(
            heartbeat=hb,
            alive=hb.last_seen >= now - silent_after,
            serves_configured_model=(hb.model_id, hb.model_revision, hb.prompt_version)
            == (identity.model_id, identity.model_revision, identity.prompt_version),
        )
        for hb in WorkerHeartbeat.objects.order_by("-last_seen")
    ]
    return GovernanceStatus(
        identity=identity,
        config={
            "backend": cfg.backend, "device": cfg.device, "dtype": cfg.dtype, "batch_size": cfg.batch_size,
            "max_new_tokens": cfg.max_new_tokens, "prompt_profile": cfg.prompt_profile,
            "decoding": cfg.decoding, "base_model": cfg.base_model,
            "served_model": cfg.served_model_name if cfg.backend == "openai" else "",
        },
        workers=workers,
        queue=queue_depth(),
        clinic_switch=_switch(organisation_id=viewer.organisation_id, viewer=viewer)
        if viewer.organisation_id is not None else None,
        global_switch=_switch(organisation_id=None, viewer=viewer),
        env_enabled=bool(settings.DERMREVIEW_DRAFTING_ENABLED),
        silent_after=silent_after,
        version_approved=version_approved(organisation_id=viewer.organisation_id, identity=identity, bootstrap=False)
        if viewer.organisation_id is not None else True,
    )


def _switch(*, organisation_id: int | None, viewer: Any) -> SwitchStatus:
    control = (DraftingControl.objects.select_related("changed_by").filter(organisation_id=organisation_id).first()
               or DraftingControl(organisation_id=organisation_id))
    changer = control.changed_by
    if changer is None:
        changed_by = ""
    elif changer.organisation_id == viewer.organisation_id:
        changed_by = str(changer)
    else:
        # The global switch is the operators'; who they are outside this clinic is not this clinic's business.
        changed_by = "an operator of this installation"
    return SwitchStatus(scope="global" if organisation_id is None else "clinic", control=control,
                        changed_by=changed_by)
