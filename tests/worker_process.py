"""Start a real Celery worker process against the test database and the test broker.

The worker is another process, so tests that use it need `transactional_db` (their rows must be committed for the
worker to see them). It gets the same settings module, var dir, broker and media folder as the test, and the test
database (`worker_database_url`): on SQLite the file test database, on PostgreSQL the `test_...` database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def worker_database_url() -> str:
    """A DATABASE_URL naming the database this test process uses now (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = quote(db.get("USER") or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{db['NAME']}"
    raise RuntimeError(f"no worker support for {db['ENGINE']}")


def broker_purge(queue: str = "gpu") -> None:
    """Drop every message waiting in `queue` (the test broker only)."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        for message in folder.glob(f"*.{queue}.msg"):
            message.unlink(missing_ok=True)
        return
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.delete(queue, *[f"{queue}\x06\x16{step}" for step in (3, 6, 9)])
    finally:
        client.close()


class WorkerProcess:
    """`celery -A dermreview worker --pool solo` in its own process group; `kill9()` simulates a crash."""

    def __init__(self, *, name: str, log_dir: Path, env: Mapping[str, str] | None = None,
                 queues: str = "gpu,default") -> None:
        self.hostname = f"{name}@test"
        self.log_path = log_dir / f"{name}.log"
        self.queues = queues
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DJANGO_SETTINGS_MODULE": "dermreview.settings.testing",
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "DERMREVIEW_VAR_DIR": str(settings.VAR_DIR),
            "DERMREVIEW_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DERMREVIEW_BROKER_POLL_S": "0.02",
            "PYTHONUNBUFFERED": "1",
            # Django's system checks run in the test process already; skipping them here saves worker start-up time.
            "CELERY_SKIP_CHECKS": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "2"),
        })
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            env["DERMREVIEW_BROKER_DIR"] = str(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).parent)
        env.update(self.extra_env)
        return env

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        command = [sys.executable, "-m", "celery", "-A", "dermreview", "worker", "-Q", self.queues,
                   "--pool", "solo", "--hostname", self.hostname, "--loglevel", "INFO",
                   "--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.environment(), stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def wait_ready(self, timeout: float = 90.0) -> WorkerProcess:
        """Wait for the worker's first heartbeat row (written once it consumes, after loading the model)."""
        from dermreview.drafting.models import WorkerHeartbeat

        wait_for(lambda: WorkerHeartbeat.objects.filter(worker=self.hostname).exists(), timeout=timeout,
                 what=f"worker {self.hostname} to start", on_timeout=self.log_tail)
        return self

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill9(self) -> None:
        """SIGKILL the worker's whole process group: no cleanup, no acknowledgement, as in a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, *, warm: bool = False) -> None:
        """SIGQUIT (cold shutdown, quick: tests do not wait for Celery's warm shutdown) or SIGTERM (warm)."""
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM if warm else signal.SIGQUIT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill9()


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1,
             on_timeout: Callable[[], str] | None = None) -> Any:
    """Poll `condition` until it returns something truthy; fail with `what` (and the worker log) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n--- worker log ---\n{on_timeout()}" if on_timeout else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


# --- pytest fixtures (import them into a test module to use them) ---------------------------------------------------
import pytest  # noqa: E402 - fixtures below need it; the helpers above do not

from tests.inference_worker.tiny_settings import (  # noqa: E402 - the inference tests' tiny-model settings
    TINY_MAX_NEW_TOKENS,
    TINY_MAX_PIXELS,
    TINY_MIN_PIXELS,
)

# The tiny model with small images and few tokens: a draft takes a second or two on two CPU cores.
TINY_WORKER_ENV = {
    "DERMREVIEW_DEVICE": "cpu",
    "DERMREVIEW_MIN_PIXELS": str(TINY_MIN_PIXELS),
    "DERMREVIEW_MAX_PIXELS": str(TINY_MAX_PIXELS),
    "DERMREVIEW_MAX_NEW_TOKENS": str(TINY_MAX_NEW_TOKENS),
    "DERMREVIEW_BATCH_SIZE": "4",
    "DERMREVIEW_BATCH_WAIT_MS": "200",
    "HF_HUB_OFFLINE": "1",
}


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    """The tiny random Qwen3-VL, built once into var/models/ (kept between runs; rebuilt when its builder changes)."""
    pytest.importorskip("torch")
    from inference_worker.testing.build_tiny_model import build_tiny_model

    return build_tiny_model(Path(settings.VAR_DIR) / "models" / "tiny-qwen3vl")


@pytest.fixture
def drafting_env(tiny_model_path: Path, settings: Any) -> dict[str, str]:
    """Worker environment for the tiny model; this test process records drafts under the same model identity."""
    from inference_worker import WorkerConfig

    env = {**TINY_WORKER_ENV, "DERMREVIEW_MODEL": str(tiny_model_path)}
    settings.DERMREVIEW_WORKER_CONFIG = WorkerConfig.from_env(env)
    return env


@pytest.fixture
def start_worker(tmp_path: Path) -> Any:
    """`start_worker(name, env)` starts a worker (waiting until it is ready); all are stopped after the test."""
    started: list[WorkerProcess] = []

    def start(name: str, env: Mapping[str, str], *, ready: bool = True) -> WorkerProcess:
        worker = WorkerProcess(name=name, log_dir=tmp_path / "worker-logs", env=env).start()
        started.append(worker)
        return worker.wait_ready() if ready else worker

    yield start
    for worker in started:
        # Celery's own shutdown takes seconds; a test has nothing left for the worker to finish.
        worker.kill9()
