"""`make run`: the web server, the drafting worker, the scoring worker and beat in one foreground process group.

The launcher supervises them (dermreview/supervisor.py): one that exits is restarted with backoff while the others
keep running, so a crashed worker never takes the web server down. Ctrl-C (or SIGTERM) stops all four and waits
for them. With DERMREVIEW_MODEL unset, drafts come from the demo model (a small Qwen3-VL trained on synthetic lesion
drawings, trained on the first run and cached in var/models/), or with DERMREVIEW_DEV_MODEL=tiny from the tiny
randomly initialised test model; a banner says which, here and on every page.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dermreview.settings.registry import env as registry_env
from dermreview.supervisor import Child, Supervisor

ROOT = Path(__file__).resolve().parent.parent
VAR = registry_env("DERMREVIEW_VAR_DIR", default=ROOT / "var").resolve()
TINY_MODEL_DIR = VAR / "models" / "tiny-qwen3vl"

BANNER = """
==========================================================================================
  DERMREVIEW_MODEL is not set: AI drafts come from a TINY RANDOM TEST MODEL ({path}).
  They are meaningless. Run `make fetch-model` and set DERMREVIEW_MODEL for real drafts.
==========================================================================================
"""
DEMO_BANNER = """
==========================================================================================
  DERMREVIEW_MODEL is not set: AI drafts come from the DEMO MODEL ({path}).
  {what}
  Run `make fetch-model` and set DERMREVIEW_MODEL for real drafts.
==========================================================================================
"""


def _ensure_model(env: dict[str, str]) -> None:
    if env.get("DERMREVIEW_MODEL") or env.get("DERMREVIEW_BACKEND") == "openai":
        return
    if registry_env("DERMREVIEW_DEV_MODEL") == "tiny":
        from inference_worker.testing.build_tiny_model import build_tiny_model

        build_tiny_model(TINY_MODEL_DIR)
        env["DERMREVIEW_MODEL"] = str(TINY_MODEL_DIR)
        print(BANNER.format(path=TINY_MODEL_DIR), flush=True)
        return
    from inference_worker.testing import demo_model

    if not demo_model.is_demo_model(demo_model.demo_model_dir(VAR)):
        print("First run: training the demo model on synthetic lesion drawings (about 3-4 minutes on two cores; "
              "cached in var/models/ afterwards; DERMREVIEW_DEV_MODEL=tiny skips it).", flush=True)
    model = demo_model.build_demo_model(VAR)
    # The demo model is served as it was trained: its pixel budget and prompt profile, unless set explicitly.
    served = demo_model.demo_worker_env(model)
    env["DERMREVIEW_MODEL"] = served.pop("DERMREVIEW_MODEL")
    for name, value in served.items():
        env.setdefault(name, value)
    print(DEMO_BANNER.format(path=model, what=demo_model.DEMO_BANNER), flush=True)


def children(host: str) -> list[Child]:
    """The processes of `make run`, each a single process (no pool children) that the supervisor can restart."""
    celery = [sys.executable, "-m", "celery", "-A", "dermreview"]
    worker = [*celery, "worker", "--loglevel", "INFO"]
    # The same split as production (see dermreview/celery.py): the model runs in a solo-pool worker of its own (never
    # a forked child, and a slow draft never blocks scoring); the other worker runs scoring and the reconciler's
    # messages. Beat is a process of its own, not embedded in a worker: a worker killed with SIGKILL would leave its
    # embedded beat running, and the restarted worker would start a second one.
    return [
        # A web server that fails on its first start (a port already taken) stops everything: see the supervisor.
        Child("web server", [sys.executable, "manage.py", "runserver", host, "--noreload"], give_up_s=30.0),
        Child("drafting worker", [*worker, "-Q", "gpu", "--pool", "solo", "--hostname", "gpu@%h"]),
        # ... and the hospital archive's sends (`pacs`, network-bound: threads suit it).
        Child("scoring worker", [*worker, "-Q", "default,scoring,pacs", "--pool", "threads", "--concurrency",
                                 str(registry_env("DERMREVIEW_WORKER_CONCURRENCY")), "--hostname", "dev@%h"]),
        Child("beat scheduler", [*celery, "beat", "--schedule", str(VAR / "celerybeat-schedule"),
                                 "--loglevel", "INFO"]),
    ]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "dermreview.settings.development")
    env.setdefault("PYTHONUNBUFFERED", "1")
    _ensure_model(env)
    host = registry_env("DERMREVIEW_HOST")
    # Settings make no folder on import; celery beat writes its schedule file here before anything else would.
    VAR.mkdir(parents=True, exist_ok=True)
    print(f"DermReview at http://{host}/ (Ctrl-C stops the web server and the workers; a process that dies is "
          "restarted)", flush=True)
    return Supervisor(children(host), cwd=ROOT, env=env).run()


if __name__ == "__main__":
    raise SystemExit(main())
