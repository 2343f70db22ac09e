"""Worker heartbeats: each GPU worker records that it is alive, which model it serves and whether it loaded.

The governance page reads `WorkerHeartbeat`. A worker writes its row when it starts, after a batch (at most every
few seconds), and from a background thread every DERMREVIEW_HEARTBEAT_EVERY_S so that an idle worker still shows.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from dermreview.drafting.models import WorkerHeartbeat
from dermreview.drafting.services.identity import model_identity, worker_config

logger = logging.getLogger(__name__)

# Batches can finish many times a second under load; the row needs no more than this.
_MIN_BATCH_BEAT_INTERVAL_S = 5.0


class WorkerState:
    """This process's view of itself, written to its `WorkerHeartbeat` row."""

    def __init__(self) -> None:
        self.hostname = ""
        self.model_loaded = False
        self.last_error = ""
        self._last_beat = 0.0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def model_ready(self, engine: Any) -> None:
        changed = not self.model_loaded or bool(self.last_error)
        self.model_loaded, self.last_error = True, ""
        if changed:
            self.beat()

    def model_failed(self, reason: str) -> None:
        changed = self.model_loaded or self.last_error != reason
        self.model_loaded, self.last_error = False, reason
        if changed:
            self.beat()

    def batch_done(self, *, ok: bool) -> None:
        if time.monotonic() - self._last_beat >= _MIN_BATCH_BEAT_INTERVAL_S:
            self.beat()

    def beat(self) -> None:
        """Write the heartbeat row now (a no-op outside a named worker)."""
        if not self.hostname:
            return
        identity = model_identity(worker_config())
        with self._lock:
            self._last_beat = time.monotonic()
            WorkerHeartbeat.objects.update_or_create(
                worker=self.hostname,
                defaults={
                    "backend": identity.backend,
                    "model_id": identity.model_id,
                    "model_revision": identity.model_revision,
                    "prompt_version": identity.prompt_version,
                    "model_loaded": self.model_loaded,
                    "last_error": self.last_error[:2000],
                    "last_seen": timezone.now(),
                },
            )

    def start(self, *, hostname: str, every_s: float | None = None) -> None:
        """Name this worker, write its first heartbeat and keep beating from a daemon thread."""
        self.hostname = hostname
        self.beat()
        if self._thread is None:
            interval = float(every_s or settings.DERMREVIEW_HEARTBEAT_EVERY_S)
            self._thread = threading.Thread(target=self._loop, args=(interval,), name="draft-heartbeat", daemon=True)
            self._thread.start()

    def _loop(self, interval: float) -> None:
        while True:
            time.sleep(interval)
            try:
                close_old_connections()
                self.beat()
            except DatabaseError as exc:  # the database may be restarting; the next beat tries again
                logger.warning("worker heartbeat failed: %s", exc)
            finally:
                connection.close()


_state = WorkerState()


def worker_state() -> WorkerState:
    return _state
