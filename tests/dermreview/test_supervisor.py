"""The launcher's supervisor (dermreview/supervisor.py) with stand-in children: a child that dies is restarted with
backoff while the others run on, a stop signal stops everything without restarts, and a web server that cannot
start stops everything. The real `make run` processes: tests/test_devserver_supervision.py.

The supervisor runs in a process of its own, as in `make run`: it installs signal handlers, which only a main
thread may do.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
# Fast numbers, so that a whole backoff sequence fits in a second or two.
FAST = {"backoff_s": 0.1, "backoff_cap_s": 0.4, "stable_after_s": 2.0, "stop_timeout_s": 10.0, "poll_s": 0.05}

SCRIPT = """
import json, os, sys
from pathlib import Path
from dermreview.supervisor import Child, Supervisor
spec = json.loads(sys.argv[1])
children = [Child(name, command, give_up_s=give_up_s) for name, command, give_up_s in spec["children"]]
raise SystemExit(Supervisor(children, cwd=Path.cwd(), env=os.environ, **spec["options"]).run())
"""


class Supervised:
    """A supervisor process and its log."""

    def __init__(self, log: Path, children: list[tuple[str, list[str], float | None]], **options: Any) -> None:
        self.log = log
        spec = json.dumps({"children": children, "options": {**FAST, **options}})
        with log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-c", SCRIPT, spec], cwd=ROOT, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, *, count: int = 1, timeout: float = 20) -> list[re.Match[str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = list(re.finditer(pattern, self.text()))
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {count} x {pattern!r} within {timeout} s; log:\n{self.text()}")

    def pid(self, name: str, *, run: int = 1) -> int:
        return int(self.wait_for(rf"The {name} (?:started|restarted) \(pid (\d+)\)", count=run)[run - 1].group(1))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child the supervisor has not reaped yet is a zombie: dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[Any]:
    started: list[Supervised] = []

    def start(*children: tuple[str, list[str], float | None], **options: Any) -> Supervised:
        started.append(Supervised(tmp_path / f"supervisor-{len(started)}.log", list(children), **options))
        return started[-1]

    yield start
    for supervised in started:
        if supervised.process.poll() is None:
            os.killpg(supervised.process.pid, signal.SIGKILL)
            supervised.process.wait(10)


def test_supervisor_restarts_a_killed_worker_and_leaves_the_web_server_running(supervise: Any) -> None:
    supervised = supervise(("web server", SLEEPER, 30.0), ("drafting worker", SLEEPER, None))
    web, worker = supervised.pid("web server"), supervised.pid("drafting worker")

    os.kill(worker, signal.SIGKILL)
    supervised.wait_for(rf"The drafting worker \(pid {worker}\) exited with signal 9 \(SIGKILL\) after \d+ s; "
                        r"restarting in 0\.1 s\.")
    restarted = supervised.pid("drafting worker", run=2)

    assert restarted != worker and _alive(restarted)
    assert _alive(web) and supervised.pid("web server") == web  # never stopped, never restarted
    assert supervised.process.poll() is None


def test_supervisor_backs_off_exponentially_and_resets_after_a_stable_run(supervise: Any) -> None:
    crash = [sys.executable, "-c", "raise SystemExit(3)"]
    supervised = supervise(("crashing worker", crash, None), ("steady worker", SLEEPER, None))
    delays = [match.group(1) for match in supervised.wait_for(
        r"The crashing worker \(pid \d+\) exited with exit code 3 after \d+ s; restarting in ([\d.]+) s", count=5)]
    assert delays[:5] == ["0.1", "0.2", "0.4", "0.4", "0.4"]  # doubling, capped

    # A run that lasted past `stable_after_s` starts the sequence again.
    lasting = [sys.executable, "-c", "import time; time.sleep(0.6)"]
    supervised = supervise(("lasting worker", lasting, None), stable_after_s=0.3)
    delays = [match.group(1) for match in supervised.wait_for(
        r"The lasting worker \(pid \d+\) exited with exit code 0 after \d+ s; restarting in ([\d.]+) s", count=3)]
    assert delays == ["0.1", "0.1", "0.1"]


def test_supervisor_stops_every_child_on_sigterm_and_restarts_none(supervise: Any) -> None:
    supervised = supervise(("web server", SLEEPER, 30.0), ("drafting worker", SLEEPER, None), ("beat", SLEEPER, None))
    pids = [supervised.pid(name) for name in ("web server", "drafting worker", "beat")]

    os.kill(supervised.process.pid, signal.SIGTERM)

    assert supervised.process.wait(15) == 0
    assert not any(_alive(pid) for pid in pids)
    assert "restart" not in supervised.text()


def test_supervisor_kills_a_child_that_ignores_sigterm_after_the_stop_timeout(supervise: Any) -> None:
    stubborn = [sys.executable, "-c",
                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('armed', flush=True);"
                " time.sleep(600)"]
    supervised = supervise(("scoring worker", stubborn, None), stop_timeout_s=0.5)
    pid = supervised.pid("scoring worker")
    supervised.wait_for("armed")

    os.kill(supervised.process.pid, signal.SIGINT)

    assert supervised.process.wait(15) == 0
    assert not _alive(pid)
    assert "Still running after 0.5 s; killing what is left." in supervised.text()


def test_supervisor_stops_everything_when_the_web_server_cannot_start(supervise: Any) -> None:
    taken = [sys.executable, "-c", "import sys; print('Error: That port is already in use.'); sys.exit(1)"]
    supervised = supervise(("web server", taken, 30.0), ("drafting worker", SLEEPER, None))
    worker = supervised.pid("drafting worker")

    assert supervised.process.wait(15) == 1
    assert "The web server could not start (exit code 1); stopping everything." in supervised.text()
    assert not _alive(worker)
