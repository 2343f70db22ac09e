"""Soft and hard time limits for a drafting task, enforced inside the worker process.

Celery enforces `soft_time_limit`/`time_limit` only in its prefork pool, and a GPU worker must not use prefork
(CUDA cannot live in a forked child), so the GPU worker's `solo` (or `threads`) pool gets no time limits from
Celery. This module supplies them:

- soft limit: `DraftTimeLimit` is raised inside the task (SIGALRM on the main thread, which is where the solo pool
  runs tasks; an asynchronous exception on another thread). It derives from BaseException so that the engine's
  "one bad batch must not lose the others" `except Exception` handlers cannot swallow it.
- hard limit: if the task is still running, the process logs a critical line and exits at once, as prefork does to
  a stuck child. The message was not acknowledged (acks_late), so the broker redelivers it or the reconciler
  requeues the draft, and the process supervisor starts a fresh worker.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

logger = logging.getLogger(__name__)

HARD_LIMIT_EXIT_CODE = 70  # EX_SOFTWARE


class DraftTimeLimit(BaseException):  # noqa: N818 - named like Celery's SoftTimeLimitExceeded
    """The soft time limit of a drafting task was reached."""


@contextmanager
def time_limits(*, soft_s: float, hard_s: float) -> Iterator[None]:
    """Raise `DraftTimeLimit` in this thread after `soft_s`; end the process after `hard_s`."""
    hard = threading.Timer(hard_s, _hard_exit, args=(hard_s,))
    hard.daemon = True
    hard.start()
    try:
        if threading.current_thread() is threading.main_thread():
            with _soft_limit_by_alarm(soft_s):
                yield
        else:
            with _soft_limit_by_async_exc(soft_s):
                yield
    finally:
        hard.cancel()


@contextmanager
def _soft_limit_by_alarm(soft_s: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise DraftTimeLimit(f"soft time limit of {soft_s:g} s reached")

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, soft_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            # Someone else (pytest-timeout, for one) had an alarm pending: give it back what is left of it.
            remaining = max(previous_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_interval)


@contextmanager
def _soft_limit_by_async_exc(soft_s: float) -> Iterator[None]:
    thread_id = threading.get_ident()
    done = threading.Event()

    def interrupt() -> None:
        if not done.is_set():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(DraftTimeLimit))

    timer = threading.Timer(soft_s, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        done.set()
        timer.cancel()


def _hard_exit(hard_s: float) -> None:
    logger.critical("drafting task exceeded the hard time limit of %g s; ending the worker process", hard_s)
    logging.shutdown()
    os._exit(HARD_LIMIT_EXIT_CODE)
