"""`make run` survives a worker crash: SIGKILL the drafting worker and the launcher restarts it, the web server
answers throughout, and the photos uploaded meanwhile still get their drafts.

The real processes, as tests/test_make_run.py starts them (SQLite and the filesystem broker under a temporary
DERMREVIEW_VAR_DIR), with the tiny model and small images so that drafts take seconds on two CPU cores.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.worker_process import TINY_WORKER_ENV

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PREFIXES = ("DERMREVIEW_", "DJANGO_", "CELERY_", "DATABASE_", "BERTSCORE_")

pytestmark = [pytest.mark.slow, pytest.mark.celery_worker, pytest.mark.timeout(150)]

# Run with `manage.py shell -c` against the dev server's database: a clinician uploads three photos (their drafts
# are queued on commit, through the broker), then waits for the drafts to settle and prints their statuses.
UPLOAD_AND_WAIT = """
import json, time
from django.contrib.auth import get_user_model
from dermreview.cases.services.case import case_create
from dermreview.cases.services.upload import images_upload
from dermreview.drafting.models import Draft, DraftStatus
from tests.dermreview.cases.upload_helpers import as_upload
from tests.factories import jpeg_bytes

user = get_user_model().objects.get(username="clinician")
case = case_create(user=user, patient_ref="P-CRASH-1", body_site="forearm")
files = [as_upload(f"lesion-{i}.jpg", jpeg_bytes(96, 72, (150, 90 + 40 * i, 70))) for i in range(3)]
images = images_upload(case=case, user=user, files=files, capture_type="clinical").accepted
print("uploaded", len(images), flush=True)
deadline = time.monotonic() + 120
while True:
    statuses = sorted(Draft.objects.filter(image__in=images).values_list("status", flat=True))
    settled = len(statuses) == 3 and not {DraftStatus.QUEUED, DraftStatus.RUNNING} & set(statuses)
    if settled or time.monotonic() > deadline:
        break
    time.sleep(0.5)
print("drafts", json.dumps(statuses), flush=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class HealthWatch(threading.Thread):
    """Asks /healthz four times a second until stopped; remembers every answer that was not a 200."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.answered, self.failures = url, 0, []  # type: ignore[var-annotated]
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    status = response.status
            except OSError as exc:  # HTTPError (a 503) included
                status = repr(exc)
            if status == 200:
                self.answered += 1
            else:
                self.failures.append(f"{time.strftime('%X')} {status}")
            self.done.wait(0.25)


class Launcher:
    """`python -m dermreview.devserver` in its own session, as a terminal runs `make run`."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "dermreview.devserver"], cwd=ROOT, env=env,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, *, count: int = 1, timeout: float) -> list[re.Match[str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = list(re.finditer(pattern, self.text()))
            if len(found) >= count:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.25)
        pytest.fail(f"no {pattern!r} in the launcher's output within {timeout} s:\n{self.text()[-6000:]}")

    def pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"(?:started|restarted) \(pid (\d+)\)", self.text())]

    def kill_all(self) -> None:
        for pid in [self.process.pid, *self.pids()]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)


def _dev_env(var: Path, port: int, tiny_model_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(CONFIG_PREFIXES)}
    env.update(TINY_WORKER_ENV, DERMREVIEW_VAR_DIR=str(var), DERMREVIEW_HOST=f"127.0.0.1:{port}",
               DJANGO_SETTINGS_MODULE="dermreview.settings.development", DERMREVIEW_MODEL=str(tiny_model_path),
               PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
    return env


def test_devserver_restarts_a_killed_drafting_worker_keeps_serving_and_loses_no_draft(
    tmp_path: Path, tiny_model_path: Path,
) -> None:
    port = _free_port()
    env = _dev_env(tmp_path / "var", port, tiny_model_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    subprocess.run([*manage, "demo_setup"], cwd=ROOT, env=env, check=True, timeout=60, capture_output=True)
    launcher = Launcher(env, tmp_path / "devserver.log")
    health = HealthWatch(f"http://127.0.0.1:{port}/healthz")
    try:
        launcher.wait_for(r"Starting development server", timeout=60)
        launcher.wait_for(r" ready\.", count=2, timeout=90)  # both workers consume (the drafting one has its model)
        worker = int(launcher.wait_for(r"The drafting worker started \(pid (\d+)\)", timeout=1)[0].group(1))
        health.start()

        os.kill(worker, signal.SIGKILL)
        launcher.wait_for(rf"The drafting worker \(pid {worker}\) exited with signal 9 \(SIGKILL\) after \d+ s; "
                          r"restarting in 1 s\.", timeout=10)
        # Photos uploaded while the drafting worker is down (or still loading its model) wait in the broker.
        upload = subprocess.run([*manage, "shell", "-c", UPLOAD_AND_WAIT], cwd=ROOT, env=env, timeout=150,
                                capture_output=True, text=True, check=False)

        assert upload.returncode == 0, upload.stdout + upload.stderr[-4000:]
        assert "uploaded 3" in upload.stdout
        statuses = json.loads(upload.stdout.split("drafts ", 1)[1])
        assert statuses == ["ready"] * 3, launcher.text()[-6000:]
        successor = int(launcher.wait_for(r"The drafting worker restarted \(pid (\d+)\)", timeout=1)[0].group(1))
        assert _alive(successor) and not _alive(worker)
        health.done.set()
        health.join(15)
        assert health.failures == [], health.failures  # the web server answered throughout
        assert health.answered >= 4

        pids = launcher.pids()
        os.killpg(launcher.process.pid, signal.SIGINT)  # Ctrl-C: everything stops, nothing restarts
        assert launcher.process.wait(timeout=45) == 0
        assert [pid for pid in pids if _alive(pid)] == []
        assert launcher.text().count("restarted (pid") == 1  # the drafting worker's, once
    finally:
        health.done.set()
        if launcher.process.poll() is None:
            launcher.kill_all()
