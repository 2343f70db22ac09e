"""Helpers for the real servers the tests start in their own process groups (SeaweedFS, Orthanc)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def log_tail(path: Path, chars: int = 4000) -> str:
    """The end of a server's log, for a failure message ("" when there is none yet)."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def stop_group(process: subprocess.Popen[bytes] | None, *, grace_s: float) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it is still running after `grace_s` seconds."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
