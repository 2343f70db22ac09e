"""gunicorn settings for the `web` service (docker-compose.yml). Values can be tuned from `.env`."""

from __future__ import annotations

import multiprocessing
import os

# Only nginx reaches this port: the web container publishes none.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - inside the compose network
# Threads, not only processes: page views wait on PostgreSQL far more than they compute.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# nginx buffers upload bodies before passing them on, so a slow phone connection does not hold a worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# The socket peer is always our nginx; the client's address arrives in X-Real-IP (DERMREVIEW_BEHIND_PROXY).
forwarded_allow_ips = "*"
# gunicorn's heartbeat files: on a container's overlay filesystem they can stall workers (gunicorn docs).
worker_tmp_dir = "/dev/shm"  # noqa: S108
accesslog = "-"
errorlog = "-"
# No query strings in the access log: search terms could hold patient references.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
