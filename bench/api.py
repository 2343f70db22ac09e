"""REST API under load, against PostgreSQL: the case list beside the framework's floor, and the CSV export beside
PostgreSQL's own COPY.

1. Creates (drops and re-creates) the database ``dermreview_bench`` on the PostgreSQL server of ``--pg`` and
   migrates it with the production settings.
2. Seeds one clinic with ``bulk_create``: ``--findings`` final cases (default 20,000), each with a photo row, a ready
   AI draft and the reviewer's signed finding, so the export has that many findings. A finding is a case's final
   signed version, so 20,000 findings are 20,000 final cases: more than the 10,000 cases the issue asks for, and the
   list pages through all of them.
3. Serves the app with gunicorn (production settings, gthread workers) on 127.0.0.1 and loads it with
   ``--clients`` (16) concurrent httpx clients, each sending its token:
   * the floor: ``GET /api/v1/me/`` (authentication, one user query, JSON), and
   * the list: ``GET /api/v1/cases/?page_size=50``,
   alternating rounds of each, after a warm-up. p50/p95 of both and list p95 / floor p95 (must be <= 4).
4. Streams ``GET /api/v1/findings/export/?format=csv`` from a fresh one-worker gunicorn, counts the rows and measures
   that worker's resident memory growth (VmHWM after the export minus VmRSS before); then runs
   ``COPY (<the export's own row query>) TO STDOUT`` through psycopg for the same rows. Rows per second of both and
   their ratio (must be >= 0.1), best of ``--repeats`` alternating runs each; the export's peak memory (the
   worker's growth over all runs) must stay under 150 MB.

The last lines are ``key=value`` figures: ``list_p95_ms=``, ``list_vs_floor_p95=``, ``export_rows_per_s=``,
``export_vs_copy=`` and ``export_peak_mb=`` (after ``list_p50_ms``, ``floor_p50_ms``, ``floor_p95_ms``,
``copy_rows_per_s`` and others). Exits 1 when a bound is missed.

Usage: ``python bench/api.py [--pg postgres://postgres@127.0.0.1:5432] [--findings 20000] [--clients 16]
[--requests 40] [--rounds 3] [--workers N]``
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from a checkout

DB_NAME = "dermreview_bench"
LIST_P95_BOUND = 4.0
COPY_RATIO_BOUND = 0.1
EXPORT_MB_BOUND = 150.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(pg: str, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dermreview.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"{pg.rstrip('/')}/{DB_NAME}",
        "DATABASE_CONN_MAX_AGE": "60",  # gunicorn keeps its connections, as deployed
        "DERMREVIEW_VAR_DIR": str(var_dir),
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "memory://"),
        # The bench measures the API, not its rate limits.
        "DERMREVIEW_API_EXPORT_RATE": "1000/min",
    }


def recreate_database(pg: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def seed(findings: int) -> dict[str, Any]:
    """One clinic, `findings` final cases with a photo, a ready draft and a signed finding each."""
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from dermreview.accounts.models import Organisation, User
    from dermreview.cases.models import Case, CaseStatus, LesionImage
    from dermreview.drafting.models import Draft, DraftStatus
    from dermreview.review.models import Review, ReviewOutcome

    clinic = Organisation.objects.create(name="Bench Clinic", slug="bench")
    clinician = User.objects.create_user("bench-clinician", organisation=clinic, password=secrets.token_hex(16))
    reviewer = User.objects.create_user("bench-reviewer", organisation=clinic, password=secrets.token_hex(16))
    clinician.groups.add(Group.objects.get(name="clinician"))
    reviewer.groups.add(Group.objects.get(name="reviewer"))
    now = timezone.now()
    lesions = ["melanocytic nevus", "benign keratosis", "dermatofibroma", "seborrhoeic keratosis", "lentigo"]
    sites = ["back", "chest", "forearm", "face", "thigh", "lower_leg"]
    batch = 5000
    for start in range(0, findings, batch):
        count = min(batch, findings - start)
        cases = Case.objects.bulk_create([
            Case(organisation=clinic, patient_ref=f"PT-{start + i:07d}", body_site=sites[(start + i) % len(sites)],
                 lesion_label=f"L{(start + i) % 7}", clinical_notes="Seeded for the API benchmark.",
                 status=CaseStatus.FINAL, created_by=clinician)
            for i in range(count)
        ])
        images = LesionImage.objects.bulk_create([
            LesionImage(case=case, content_type="image/jpeg", sha256=f"{case.pk:064x}", width=1024, height=768,
                        byte_size=180_000, uploaded_by=clinician, file=f"cases/{case.pk}/photo.jpg",
                        thumbnail=f"cases/{case.pk}/photo-thumb.jpg")
            for case in cases
        ])
        drafts = Draft.objects.bulk_create([
            Draft(image=image, model_id="0xAgamy/unsloth_Qwen3vl_finetune", model_revision="bench",
                  prompt_version="bench-1", backend="transformers", status=DraftStatus.READY,
                  lesion_type=lesions[image.pk % len(lesions)], color="uniform light brown", symmetry="symmetric",
                  borders="regular, well defined", texture="smooth",
                  summary="Small symmetric light-brown macule with a regular network; features of a benign lesion.",
                  queued_at=now, started_at=now, finished_at=now)
            for image in images
        ])
        Review.objects.bulk_create([
            Review(case_id=draft.image.case_id, reviewer=reviewer, outcome=ReviewOutcome.EDITED, draft=draft,
                   draft_snapshot={"draft_id": draft.pk, "image_id": draft.image_id,
                                   "fields": draft.finding_fields(), "model_id": draft.model_id,
                                   "model_revision": draft.model_revision, "prompt_version": draft.prompt_version},
                   edited_fields=["summary"], attestation="I have examined the images myself.", opened_at=now,
                   signed_at=now, time_on_task_ms=42_000, lesion_type=draft.lesion_type, color=draft.color,
                   symmetry=draft.symmetry, borders=draft.borders, texture=draft.texture,
                   summary=draft.summary + " Follow up in 12 months.")
            for draft in drafts
        ])
    return {"token": Token.objects.create(user=reviewer).key, "organisation_id": clinic.pk}


class Server:
    """gunicorn serving the production WSGI app on a free local port."""

    def __init__(self, env: dict[str, str], *, workers: int, threads: int) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dermreview.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
             "--timeout", "120", "--log-level", "warning"],
            cwd=REPO_ROOT, env=env, start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def load(url: str, token: str, *, clients: int, requests_each: int) -> list[float]:
    """`clients` threads, each with its own connection, sending `requests_each` GETs; latencies in ms."""
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    start = threading.Barrier(clients)

    def run() -> None:
        mine: list[float] = []
        with httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=60) as client:
            client.get(url)  # connect before the clock starts
            start.wait()
            for _ in range(requests_each):
                began = time.perf_counter()
                response = client.get(url)
                mine.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests to {url}, e.g. {errors[0]}")
    return latencies


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def export_over_http(url: str, token: str) -> tuple[int, float]:
    import httpx

    rows, began = 0, time.perf_counter()
    with httpx.stream("GET", f"{url}/api/v1/findings/export/?format=csv", timeout=600,
                      headers={"Authorization": f"Token {token}"}) as response:
        if response.status_code != 200:
            raise RuntimeError(f"export answered {response.status_code}")
        for chunk in response.iter_bytes():
            # "\n", not "\r\n": a row end may straddle two chunks. (The seeded texts hold no line breaks.)
            rows += chunk.count(b"\n")
    return rows - 1, time.perf_counter() - began  # minus the header


def copy_same_rows(organisation_id: int) -> tuple[int, float]:
    """PostgreSQL's own COPY of the export's row query (same SQL, same parameters, same rows)."""
    from django.db import connection

    from dermreview.api.exports.records import ExportScope, finding_row_query

    sql, params = finding_row_query(ExportScope(organisation_id=organisation_id)).query.sql_with_params()
    rows, began = 0, time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params
    ) as copy:
        for block in copy:
            rows += bytes(block).count(b"\n")
    return rows - 1, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40, help="per client and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="export and COPY runs (best kept)")
    parser.add_argument("--workers", type=int, default=max(2, min(8, os.cpu_count() or 2)))
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="dermreview-bench-api-"))
    env = _environment(args.pg, var_dir)
    os.environ.update(env)
    recreate_database(args.pg)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    began = time.perf_counter()
    seeded = seed(args.findings)
    print(f"seeded {args.findings} final cases with findings in {time.perf_counter() - began:.1f}s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()

    token = seeded["token"]
    threads = max(2, -(-args.clients // args.workers))
    server = Server(env, workers=args.workers, threads=threads)
    try:
        floor_url = f"{server.url}/api/v1/me/"
        list_url = f"{server.url}/api/v1/cases/?page_size=50"
        load(floor_url, token, clients=args.clients, requests_each=5)  # warm-up: imports, connections, caches
        load(list_url, token, clients=args.clients, requests_each=5)
        floor: list[float] = []
        listing: list[float] = []
        for _ in range(args.rounds):
            floor += load(floor_url, token, clients=args.clients, requests_each=args.requests)
            listing += load(list_url, token, clients=args.clients, requests_each=args.requests)
    finally:
        server.stop()

    # Export and COPY alternate, best of --repeats each: the machine's other work disturbs both alike.
    export_server = Server(env, workers=1, threads=2)
    export_times: list[float] = []
    copy_times: list[float] = []
    try:
        import httpx

        httpx.get(f"{export_server.url}/api/v1/me/", headers={"Authorization": f"Token {token}"})
        (worker,) = export_server.worker_pids()
        rss_before_kb = _status_kb(worker, "VmRSS")
        for _ in range(args.repeats):
            export_rows, seconds = export_over_http(export_server.url, token)
            export_times.append(seconds)
            copy_rows, seconds = copy_same_rows(seeded["organisation_id"])
            copy_times.append(seconds)
        peak_kb = _status_kb(worker, "VmHWM")
    finally:
        export_server.stop()
    export_s, copy_s = min(export_times), min(copy_times)
    if export_rows != args.findings or copy_rows != args.findings:
        print(f"row counts differ: export {export_rows}, copy {copy_rows}, seeded {args.findings}")
        return 1

    list_p50, list_p95 = _p(listing, 50), _p(listing, 95)
    floor_p50, floor_p95 = _p(floor, 50), _p(floor, 95)
    export_rate, copy_rate = export_rows / export_s, copy_rows / copy_s
    figures = {
        "requests_per_endpoint": len(listing),
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "floor_p50_ms": round(floor_p50, 2),
        "floor_p95_ms": round(floor_p95, 2),
        "list_p50_ms": round(list_p50, 2),
        "list_vs_floor_p50": round(list_p50 / floor_p50, 2),
        "export_rows": export_rows,
        "export_s": round(export_s, 3),
        "copy_s": round(copy_s, 3),
        "copy_rows_per_s": round(copy_rate),
        "list_p95_ms": round(list_p95, 2),
        "list_vs_floor_p95": round(list_p95 / floor_p95, 2),
        "export_rows_per_s": round(export_rate),
        "export_vs_copy": round(export_rate / copy_rate, 3),
        "export_peak_mb": round(max(0, peak_kb - rss_before_kb) / 1024, 1),
    }
    for key, value in figures.items():
        print(f"{key}={value}")
    failures = []
    if figures["list_vs_floor_p95"] > LIST_P95_BOUND:
        failures.append(f"list p95 is {figures['list_vs_floor_p95']}x the floor's (bound {LIST_P95_BOUND}x)")
    if figures["export_vs_copy"] < COPY_RATIO_BOUND:
        failures.append(f"export is {figures['export_vs_copy']} of COPY's rate (bound {COPY_RATIO_BOUND})")
    if figures["export_peak_mb"] >= EXPORT_MB_BOUND:
        failures.append(f"export grew the worker by {figures['export_peak_mb']} MB (bound {EXPORT_MB_BOUND})")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
