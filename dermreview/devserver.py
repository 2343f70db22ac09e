"""`make run`: the web server, the GPU worker and a Celery worker (with beat) in one foreground process group.

Ctrl-C (or SIGTERM) stops all three and waits for them. With DERMREVIEW_MODEL unset, drafts come from a tiny
randomly initialised test model built into var/models/, and a banner says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dermreview.settings.registry import env as registry_env

ROOT = Path(__file__).resolve().parent.parent
VAR = registry_env("DERMREVIEW_VAR_DIR", default=ROOT / "var").resolve()
TINY_MODEL_DIR = VAR / "models" / "tiny-qwen3vl"

BANNER = """
==========================================================================================
  DERMREVIEW_MODEL is not set: AI drafts come from a TINY RANDOM TEST MODEL ({path}).
  They are meaningless. Run `make fetch-model` and set DERMREVIEW_MODEL for real drafts.
==========================================================================================
"""


def _ensure_model(env: dict[str, str]) -> None:
    if env.get("DERMREVIEW_MODEL") or env.get("DERMREVIEW_BACKEND") == "openai":
        return
    from inference_worker.testing.build_tiny_model import build_tiny_model

    build_tiny_model(TINY_MODEL_DIR)
    env["DERMREVIEW_MODEL"] = str(TINY_MODEL_DIR)
    print(BANNER.format(path=TINY_MODEL_DIR), flush=True)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "dermreview.settings.development")
    env.setdefault("PYTHONUNBUFFERED", "1")
    _ensure_model(env)
    host = registry_env("DERMREVIEW_HOST")
    # Settings make no folder on import; celery beat writes its schedule file here before anything else would.
    VAR.mkdir(parents=True, exist_ok=True)
    celery = [sys.executable, "-m", "celery", "-A", "dermreview", "worker", "--loglevel", "INFO"]
    # The same split as production (see dermreview/celery.py): the model runs in a solo-pool worker of its own (never
    # a forked child, and a slow draft never blocks scoring); the other worker runs scoring and beat (reconciler).
    commands = {
        "web server": [sys.executable, "manage.py", "runserver", host, "--noreload"],
        "GPU worker": [*celery, "-Q", "gpu", "--pool", "solo", "--hostname", "gpu@%h"],
        "worker": [*celery, "--beat", "--schedule", str(VAR / "celerybeat-schedule"), "-Q", "default,scoring",
                   "--pool", "threads", "--concurrency", str(registry_env("DERMREVIEW_WORKER_CONCURRENCY")),
                   "--hostname", "dev@%h"],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    print(f"DermReview at http://{host}/ (Ctrl-C stops the web server and the workers)", flush=True)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"The {name} exited with {child.returncode}; stopping.", flush=True)
                code = child.returncode or 1
                stopping = True
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
