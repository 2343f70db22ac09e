"""Worker heartbeats: each GPU worker records that it is alive, which model it serves and whether it loaded.

The governance page reads `WorkerHeartbeat`. The worker's runtime (`dermreview.drafting.runtime`) decides when to
write: when the worker starts, when the model loads or fails, after a batch (at most every few seconds), from a
background thread every DERMREVIEW_HEARTBEAT_EVERY_S so that an idle worker still shows, and when it stops.
"""

from __future__ import annotations

from django.utils import timezone

from dermreview.drafting.models import WorkerHeartbeat
from inference_worker.identity import ModelIdentity

_ERROR_LENGTH = 2000


def worker_heartbeat_record(*, worker: str, identity: ModelIdentity, model_loaded: bool,
                            last_error: str) -> WorkerHeartbeat:
    """Write (or overwrite) the heartbeat row of `worker`, seen now."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker=worker,
        defaults={
            "backend": identity.backend,
            "model_id": identity.model_id,
            "model_revision": identity.model_revision,
            "prompt_version": identity.prompt_version,
            "model_loaded": model_loaded,
            "last_error": last_error[:_ERROR_LENGTH],
            "last_seen": timezone.now(),
        },
    )
    return heartbeat
