"""What the model governance page shows: the configured model, the workers' heartbeats, the queue, the kill switch.

Read-only. The configuration comes from `settings.DERMREVIEW_WORKER_CONFIG` (`inference_worker.WorkerConfig`,
parsed from the environment without importing torch); flipping the kill switch is the drafting service's
`drafting_set_enabled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from dermreview.drafting.models import DraftingControl, WorkerHeartbeat
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
class GovernanceStatus:
    identity: ModelIdentity
    config: dict[str, Any]
    workers: list[WorkerRow]
    queue: QueueDepth
    control: DraftingControl
    control_changed_by: str  # who flipped it, as this viewer may see it
    env_enabled: bool
    silent_after: timedelta

    @property
    def drafting_on(self) -> bool:
        return self.env_enabled and self.control.enabled

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
    control = DraftingControl.objects.select_related("changed_by").filter(pk=1).first() or DraftingControl.current()
    changer = control.changed_by
    if changer is None:
        changed_by = ""
    elif changer.organisation_id == getattr(viewer, "organisation_id", None):
        changed_by = str(changer)
    else:
        # The switch is deployment-wide; who flipped it in another clinic is that clinic's business.
        changed_by = "an administrator of another organisation"
    return GovernanceStatus(
        identity=identity,
        config={
            "backend": cfg.backend, "device": cfg.device, "dtype": cfg.dtype, "batch_size": cfg.batch_size,
            "max_new_tokens": cfg.max_new_tokens, "constrained": cfg.constrained,
            "served_model": cfg.served_model_name if cfg.backend == "openai" else "",
        },
        workers=workers,
        queue=queue_depth(),
        control=control,
        control_changed_by=changed_by,
        env_enabled=bool(settings.DERMREVIEW_DRAFTING_ENABLED),
        silent_after=silent_after,
    )
