"""Health probes for docker-compose, load balancers and operators.

Each probe answers with a short status word and never with the exception text: `/healthz` needs no login,
and a driver error can carry host names or a password from the connection URL. The detail goes to the log.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

# Short: a probe that hangs is worse than one that fails, since the orchestrator waits on it.
BROKER_TIMEOUT_S = 2.0


def database_status() -> str:
    """`ok` when a trivial query round-trips, else `unreachable`."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means the same thing to a probe
        logger.exception("health: database unreachable")
        return "unreachable"
    return "ok"


def broker_status() -> str:
    """`ok` when the Celery broker accepts a connection (Redis) or its folders are writable (filesystem)."""
    from dermreview.celery import app

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folders = [Path(options["data_folder_in"]), Path(options["data_folder_out"])]
        if all(folder.is_dir() and os.access(folder, os.W_OK) for folder in folders):
            return "ok"
        logger.error("health: broker folders missing or not writable: %s", folders)
        return "unreachable"
    try:
        with app.connection_for_write(
            url=settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_TIMEOUT_S,
            transport_options={"socket_connect_timeout": BROKER_TIMEOUT_S, "socket_timeout": BROKER_TIMEOUT_S},
        ) as conn:
            # max_retries=0: fail at the first refusal instead of kombu's default back-off.
            conn.ensure_connection(max_retries=0)
    except Exception:
        logger.exception("health: broker unreachable")
        return "unreachable"
    return "ok"
