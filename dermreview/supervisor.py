"""Keep `make run`'s processes up: a child that exits is restarted with backoff; Ctrl-C or SIGTERM stops them all.

A child that exits while nobody asked to stop is started again after 1, 2, 4 ... seconds (capped at 30): one step
further for each run that ended less than `stable_after_s` after it began, back to 1 s after a run that lasted.
The others keep running meanwhile: a dead worker never takes the web server down with it, and messages sent
while a worker is down wait in the broker for its successor.

One exception: a child with `give_up_s` (the web server) whose very first run fails with an exit code within that
time stops everything with a clear message. That is a start-up error, such as a port already taken or a settings
error, which no restart mends. Later deaths of the web server are restarted like any other child.

The children stay in the launcher's process group, as before: Ctrl-C in the terminal reaches each of them (and a
`breakpoint()` in the web server can still read the terminal). Each child is a single process; the supervisor
then sends SIGTERM to whichever are still running, waits up to `stop_timeout_s`, and kills what is left. A
second Ctrl-C kills at once.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _say(line: str) -> None:
    print(line, flush=True)


def describe_exit(returncode: int) -> str:
    """`signal 9 (SIGKILL)` or `exit code 1`: how a child ended, in the words of the log."""
    if returncode < 0:
        try:
            return f"signal {-returncode} ({signal.Signals(-returncode).name})"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class Child:
    """One supervised command, and what the supervisor knows about its current run."""

    name: str
    command: Sequence[str]
    # A first run that fails with an exit code sooner than this after its start stops everything (None: never).
    give_up_s: float | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    runs: int = 0
    quick_exits: int = 0  # consecutive runs that ended before the supervisor's `stable_after_s`
    restart_at: float | None = None


class Supervisor:
    """Start `children`, restart any that exits, stop them all on a stop signal (see the module docstring)."""

    def __init__(self, children: Sequence[Child], *, cwd: Path, env: Mapping[str, str], backoff_s: float = 1.0,
                 backoff_cap_s: float = 30.0, stable_after_s: float = 60.0, stop_timeout_s: float = 20.0,
                 poll_s: float = 0.2, say: Callable[[str], None] = _say) -> None:
        self.children = list(children)
        self.cwd = cwd
        self.env = dict(env)
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.stable_after_s = stable_after_s
        self.stop_timeout_s = stop_timeout_s
        self.poll_s = poll_s
        self.say = say
        self.stopping = False
        self.hurry = False  # a second stop signal: kill instead of waiting
        self.exit_code = 0

    def run(self) -> int:
        """Supervise until a stop signal (exit status 0) or a child's start-up error (its exit status)."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_stop_signal)
        try:
            for child in self.children:
                self._start(child)
            while not self.stopping:
                for child in self.children:
                    self._tend(child, time.monotonic())
                time.sleep(self.poll_s)
        finally:
            self.stopping = True
            self._stop_all()
        return self.exit_code

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            self.hurry = True
        self.stopping = True

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(list(child.command), cwd=self.cwd, env=self.env)
        child.started_at = time.monotonic()
        child.runs += 1
        child.restart_at = None
        self.say(f"The {child.name} {'started' if child.runs == 1 else 'restarted'} (pid {child.process.pid}).")

    def _tend(self, child: Child, now: float) -> None:
        """Start a child whose backoff is over; notice a child that has exited and plan its restart."""
        if child.process is None:
            if child.restart_at is not None and now >= child.restart_at and not self.stopping:
                self._start(child)
            return
        returncode = child.process.poll()
        if returncode is None or self.stopping:
            return  # running, or exiting because it was asked to stop with the rest
        pid, uptime = child.process.pid, now - child.started_at
        child.process = None
        if child.give_up_s is not None and child.runs == 1 and returncode > 0 and uptime < child.give_up_s:
            self.say(f"The {child.name} could not start ({describe_exit(returncode)}); stopping everything.")
            self.exit_code = returncode
            self.stopping = True
            return
        child.quick_exits = child.quick_exits + 1 if uptime < self.stable_after_s else 1
        delay = min(self.backoff_s * 2 ** (child.quick_exits - 1), self.backoff_cap_s)
        child.restart_at = now + delay
        self.say(f"The {child.name} (pid {pid}) exited with {describe_exit(returncode)} after {uptime:.0f} s; "
                 f"restarting in {delay:g} s.")

    def _stop_all(self) -> None:
        """SIGTERM every running child, wait for them (not past `stop_timeout_s`), kill whatever is left."""
        running = [child.process for child in self.children if child.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        while any(process.poll() is None for process in running) and not self.hurry:
            if time.monotonic() > deadline:
                self.say(f"Still running after {self.stop_timeout_s:g} s; killing what is left.")
                break
            time.sleep(0.1)
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
        for child in self.children:
            child.process = None
