"""A drafting worker process's own state, in one place: its engine, the load-failure cooldown and its heartbeat.

Each process has one `WorkerRuntime`, `process_runtime`. In a Celery GPU worker the signal hooks in
`dermreview/celery.py` call `worker_ready` (load the model before the first task, start beating) and
`worker_stopped`; the drafting task asks it for the engine (`engine_for`) and reports each batch (`batch_done`).
Elsewhere (web, beat, a shell) it stays unnamed and never writes a heartbeat.

The engine itself is cached by `inference_worker.get_engine` (one load per configuration and process) and
serialises its own `generate` calls, so nothing here locks around it.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from dermreview.drafting.services.heartbeat import worker_heartbeat_record
from dermreview.drafting.services.identity import model_identity, worker_config
from inference_worker import Engine, ModelLoadError, WorkerConfig, get_engine

logger = logging.getLogger(__name__)

# After a failed load, do not try again for a while: a missing model fails every task the same way, and a hub
# timeout per task would stall the queue. The reconciler's backoff brings the drafts back after this.
MODEL_LOAD_COOLDOWN_S = 15.0
# Batches can finish many times a second under load; the heartbeat row needs no more than this.
MIN_BATCH_BEAT_INTERVAL_S = 5.0


class WorkerRuntime:
    """What one worker process keeps between tasks."""

    def __init__(self, *, load_cooldown_s: float = MODEL_LOAD_COOLDOWN_S) -> None:
        self.hostname = ""  # the Celery worker's name once it starts; no heartbeat is written without one
        self.engine: Engine | None = None  # the loaded engine, while the model is loaded
        self.model_loaded = False
        self.last_error = ""
        self._load_cooldown_s = load_cooldown_s
        self._load_failure: tuple[str, float] | None = None  # (reason, when) of the last failed load
        self._logged_failures: set[str] = set()
        self._last_beat = 0.0
        self._beat_lock = threading.Lock()
        self._beat_thread: threading.Thread | None = None

    # --- the engine -----------------------------------------------------------------------------------------------

    @property
    def load_failure(self) -> str | None:
        """Why the model could not be loaded, while the last attempt failed."""
        return self._load_failure[0] if self._load_failure else None

    def engine_for(self, cfg: WorkerConfig) -> Engine | None:
        """The engine for `cfg`, or None after logging (once per reason) why the model cannot load."""
        failure = self._load_failure
        if failure is not None and time.monotonic() - failure[1] < self._load_cooldown_s:
            return None
        try:
            engine = get_engine(cfg)
        except ModelLoadError as exc:
            self._load_failure = (exc.reason, time.monotonic())
            if exc.reason not in self._logged_failures:
                self._logged_failures.add(exc.reason)
                logger.error("AI drafting is unavailable: the model could not be loaded: %s. Affected drafts are "
                             "marked failed and retried later; the web app keeps working.", exc.reason)
            self.model_failed(exc.reason)
            return None
        if failure is not None:
            logger.info("model loaded after an earlier failure")
        self._load_failure = None
        self.model_ready(engine)
        return engine

    def model_ready(self, engine: Engine) -> None:
        if engine is not self.engine:
            identity = engine.identity
            logger.info("drafting with %s@%s (prompt %s, %s backend)", identity.model_id, identity.model_revision,
                        identity.prompt_version, identity.backend)
        changed = engine is not self.engine or not self.model_loaded or bool(self.last_error)
        self.engine, self.model_loaded, self.last_error = engine, True, ""
        if changed:
            self.beat()

    def model_failed(self, reason: str) -> None:
        changed = self.model_loaded or self.last_error != reason
        self.engine, self.model_loaded, self.last_error = None, False, reason
        if changed:
            self.beat()

    # --- the worker's life (Celery signal hooks) ------------------------------------------------------------------

    def worker_ready(self, *, hostname: str, cfg: WorkerConfig | None = None, every_s: float | None = None) -> None:
        """A GPU worker starts: load the model before the first task, write the heartbeat, keep beating.

        A model that cannot load is logged once and recorded on the heartbeat; tasks then mark drafts failed with the
        reason and the reconciler retries them later. The worker itself stays up.
        """
        self.hostname = hostname
        self.engine_for(worker_config() if cfg is None else cfg)
        self.beat()
        if self._beat_thread is None:
            interval = float(every_s or settings.DERMREVIEW_HEARTBEAT_EVERY_S)
            self._beat_thread = threading.Thread(target=self._beat_forever, args=(interval,), name="draft-heartbeat",
                                                 daemon=True)
            self._beat_thread.start()

    def worker_stopped(self) -> None:
        """Record on the heartbeat that this worker no longer serves the model."""
        if not self.hostname:
            return
        self.model_loaded, self.last_error = False, "worker stopped"
        try:
            self.beat()
        except Exception as exc:  # noqa: BLE001 - shutting down; the database may already be gone
            logger.warning("could not record the worker's shutdown: %s", exc)

    # --- the heartbeat --------------------------------------------------------------------------------------------

    def batch_done(self) -> None:
        if time.monotonic() - self._last_beat >= MIN_BATCH_BEAT_INTERVAL_S:
            self.beat()

    def beat(self) -> None:
        """Write the heartbeat row now (a no-op outside a named worker)."""
        if not self.hostname:
            return
        # The identity the loaded engine reports; before a load (or after a failed one), the configured one.
        identity = self.engine.identity if self.engine is not None else model_identity()
        with self._beat_lock:
            self._last_beat = time.monotonic()
            worker_heartbeat_record(worker=self.hostname, identity=identity, model_loaded=self.model_loaded,
                                    last_error=self.last_error)

    def _beat_forever(self, interval: float) -> None:
        while True:
            time.sleep(interval)
            try:
                close_old_connections()
                self.beat()
            except DatabaseError as exc:  # the database may be restarting; the next beat tries again
                logger.warning("worker heartbeat failed: %s", exc)
            finally:
                connection.close()


process_runtime = WorkerRuntime()
