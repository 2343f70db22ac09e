"""Container healthchecks that need more than one shell command (docker-compose.yml).

    python deploy/healthcheck.py web    gunicorn answers /healthz with 200 (database reachable)
    python deploy/healthcheck.py beat   the beat process is alive and its broker accepts a connection

Exit 0 when healthy, 1 otherwise, with one line saying why.
"""

from __future__ import annotations

import http.client
import os
import sys
from pathlib import Path


def _probe_host() -> str:
    # Django answers only to DJANGO_ALLOWED_HOSTS; ".example.org" also allows "example.org".
    first = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")[0].strip().lstrip(".")
    return "localhost" if first in ("", "*") else first


def check_web() -> str | None:
    port = int(os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=8)
    try:
        connection.request("GET", "/healthz", headers={"Host": _probe_host()})
        response = connection.getresponse()
        body = response.read(200)
    except OSError as exc:
        return f"gunicorn unreachable: {exc}"
    finally:
        connection.close()
    if response.status != 200:
        return f"/healthz answered {response.status}: {body!r}"
    return None


def check_beat() -> str | None:
    if not _celery_beat_running():
        return "no celery beat process"
    from kombu import Connection

    try:
        with Connection(os.environ["CELERY_BROKER_URL"], connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=0)
    except Exception as exc:  # any failure to connect means beat cannot publish
        return f"broker unreachable: {type(exc).__name__}"
    return None


def _celery_beat_running() -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if any(arg.endswith(b"celery") for arg in args) and b"beat" in args:
            return True
    return False


def main(argv: list[str]) -> int:
    checks = {"web": check_web, "beat": check_beat}
    if len(argv) != 2 or argv[1] not in checks:
        print(f"usage: healthcheck.py {{{','.join(checks)}}}", file=sys.stderr)
        return 2
    problem = checks[argv[1]]()
    if problem:
        print(problem)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
