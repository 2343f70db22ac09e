"""The Celery application shared by the web tier (which only enqueues) and the workers.

Production workers (see docs/deployment or the README):

    # GPU hosts: one solo worker per accelerator. Never prefork: CUDA cannot run in a forked child. Solo runs the
    # task on the main thread, where DermReview enforces the soft/hard drafting time limits itself.
    DATABASE_CONN_MAX_AGE=300 celery -A dermreview worker -Q gpu --pool solo --prefetch-multiplier 1 --hostname gpu@%h
    # Everything else (agreement scoring, the reconciler's messages), any host:
    celery -A dermreview worker -Q default,scoring --pool threads --concurrency 4 --hostname cpu@%h
    # Exactly one scheduler for the whole deployment:
    celery -A dermreview beat --schedule /var/lib/dermreview/celerybeat-schedule

A GPU worker loads the model when it starts (so the first upload does not wait for it), writes its heartbeat row,
and keeps beating from a background thread.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready, worker_shutdown
from kombu import transport as kombu_transports

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermreview.settings.development")
# `filesystem://` names kombu's filesystem transport with atomic message files (dermreview/broker/filesystem.py):
# kombu's own writes each message in place, and a worker that read one half written died on it. An alias rather than
# the broker_transport setting, so that the URL decides in every process however it connects. Set before any
# connection is made: dermreview/__init__.py imports this module first.
kombu_transports.TRANSPORT_ALIASES["filesystem"] = "dermreview.broker.filesystem:Transport"

app = Celery("dermreview")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _filesystem_broker_folders(sender: Celery, source: Any, **kwargs: Any) -> None:
    """Make the filesystem broker's folders when Celery first loads its configuration, not when settings load.

    That happens in every process that sends or consumes a task (web, workers, beat), just before it needs them:
    kombu makes none of them itself, except `control` (and that one only inside an existing folder).
    """
    if not str(source.get("broker_url") or "").startswith("filesystem://"):
        return
    options = source.get("broker_transport_options") or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


logger = logging.getLogger("dermreview.celery")

GPU_QUEUE = "gpu"


def _consumes(sender: Any, queue: str) -> bool:
    try:
        return queue in sender.app.amqp.queues.consume_from
    except AttributeError:  # an older Celery without consume_from: assume it does
        return True


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(**kwargs: Any) -> None:
    """Django's per-request rule, per task: drop connections that failed or outlived DATABASE_CONN_MAX_AGE.

    With the default DATABASE_CONN_MAX_AGE=0 that is every connection, as Celery would do; run GPU workers with
    DATABASE_CONN_MAX_AGE=300 so that each draft does not pay for a new database connection.
    """
    from django.db import close_old_connections

    close_old_connections()


# The GPU worker's per-process state (engine, load cooldown, heartbeat) lives in `dermreview.drafting.runtime`;
# these hooks only tell it when the worker starts and stops. Imported late: Django is not set up yet up here.


@worker_ready.connect
def _gpu_worker_ready(sender: Any = None, **kwargs: Any) -> None:
    """A GPU worker: load the model before the first task, write the heartbeat, keep beating."""
    if sender is None or not _consumes(sender, GPU_QUEUE):
        return
    from dermreview.drafting.runtime import process_runtime

    process_runtime.worker_ready(hostname=sender.hostname)


@worker_shutdown.connect
def _gpu_worker_shutdown(sender: Any = None, **kwargs: Any) -> None:
    from dermreview.drafting.runtime import process_runtime

    process_runtime.worker_stopped()
