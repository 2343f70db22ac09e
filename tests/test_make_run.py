"""`make run`'s pieces, end to end in a scratch folder: migrate, demo_setup, then the dev server with its Celery
worker serves the app, a demo user logs in, and Ctrl-C stops both cleanly.

Runs the real processes (no Makefile: the test already has the virtualenv make would build), with the
embedded defaults, SQLite and the filesystem broker under a temporary DERMREVIEW_VAR_DIR.
"""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PREFIXES = ("DERMREVIEW_", "DJANGO_", "CELERY_", "DATABASE_", "BERTSCORE_")

pytestmark = [pytest.mark.slow, pytest.mark.celery_worker]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate: object, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout}s; output:\n{log.read_text(errors='replace')[-4000:]}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_serves_the_app_with_a_worker_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    var = tmp_path / "var"
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(CONFIG_PREFIXES)}
    env.update(
        DERMREVIEW_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="dermreview.settings.development",
        DERMREVIEW_HOST=f"127.0.0.1:{port}",
        # The random tiny model starts at once; the demo model's first training (minutes) has its own test
        # (tests/inference_worker/test_demo_model_figures.py).
        DERMREVIEW_DEV_MODEL="tiny",
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    setup = subprocess.run([*manage, "demo_setup"], cwd=ROOT, env=env, check=True, timeout=120,
                           capture_output=True, text=True)
    password = next(
        line.split(":", 1)[1].strip()
        for line in (var / "demo-credentials.txt").read_text().splitlines()
        if line.startswith("password:")
    )
    assert password in setup.stdout  # generated, and shown this once

    log = tmp_path / "devserver.log"
    with log.open("wb") as out:
        # Its own session, as a terminal's foreground process group: Ctrl-C reaches every process in it.
        server = subprocess.Popen([sys.executable, "-m", "dermreview.devserver"], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    pgid = server.pid
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        _wait_for(healthy, 120, "the web server did not answer /healthz", log)
        # Two workers, as in production: drafting (solo pool, loads the model first) and scoring with beat.
        _wait_for(lambda: log.read_bytes().count(b" ready.") >= 2, 180, "the Celery workers did not become ready", log)
        output = log.read_text(errors="replace")
        assert "TINY RANDOM TEST MODEL" in output  # DERMREVIEW_MODEL unset: the banner says drafts are meaningless
        assert (var / "models" / "tiny-qwen3vl" / "config.json").exists()

        # A demo user logs in through the real form, CSRF token and all.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{base}/accounts/login/", timeout=10).read()
        token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        form = urllib.parse.urlencode(
            {"username": "clinician", "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        with opener.open(f"{base}/accounts/login/", data=form, timeout=10) as response:
            assert response.url == f"{base}/cases/"
            assert b"Log out" in response.read()

        os.killpg(pgid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert server.wait(timeout=45) == 0
        _wait_for(lambda: not _group_alive(pgid), 15, "a child process outlived the dev server", log)
    finally:
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
            server.wait(timeout=10)
