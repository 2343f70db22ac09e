"""The app's own overhead on the drafting path: upload committed → draft ready, minus the model's time.

Pushes uploads through the real upload service (`images_upload`: validation, re-encoding, storage, the case
transition, `drafts_create_for_images`), the configured broker and a real Celery GPU worker process
(`celery -A dermreview worker -Q gpu --pool solo`, the production command), and measures for every photo

    overhead = (draft ready) − (upload transaction committed)
               − (the model's own time for the batch that drafted it: the sum of preprocess_ms + generate_ms over
                  the batch's drafts, which the engine records as each item's share of the batch)

i.e. the time spent in the web tier's commit hooks, the broker, Celery, claiming, loading the photo and storing
the result. "Upload committed" is taken by an `on_commit` hook registered when the photo's row is saved, so it
fires at the commit, before the draft's message is published. "Draft ready" is the draft's `finished_at`, which
the worker stamps as the last statement of the transaction that stores the results (so only that COMMIT itself
is left out). The script's own polling lag is reported apart and not counted: it is not the app's. Uploads go one group at a time (`--group`
photos in one upload, default 1) and the next group starts when the previous one is drafted, so no upload waits
behind another's generation: queueing delay caused by model capacity is not app overhead and is kept out.

Database and broker come from DATABASE_URL and CELERY_BROKER_URL as in production. Unset, a throw-away SQLite
database and filesystem broker in a temporary directory are used (that is also what runs unchanged on a CUDA
host). With PostgreSQL, a scratch database `<name>_pipeline_bench` is created next to the one named (and
dropped afterwards). The model is the tiny random Qwen3-VL (built into var/models/ when missing) unless
DERMREVIEW_MODEL names another; device and dtype follow DERMREVIEW_* as in production (CUDA when present).

The last lines are ``key=value`` figures; the headline ones are ``overhead_median_ms=`` and ``overhead_p95_ms=``.
Exits 1 when the median overhead is not below ``--max-median-ms`` (default 100).

Usage: ``python bench/pipeline.py [--uploads 200] [--group 1] [--max-median-ms 100]``
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from a checkout

TINY_MODEL_DIR = REPO_ROOT / "var" / "models" / "tiny-qwen3vl"
POLL_S = 0.02  # how often the script looks for finished drafts (only to know when to go on)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _photo(rng: random.Random, width: int = 1024, height: int = 768) -> bytes:
    """A photo-like JPEG (smooth shading plus noise), different every time."""
    from PIL import Image, ImageDraw, ImageFilter

    base = tuple(rng.randint(120, 200) for _ in range(3))
    image = Image.new("RGB", (width, height), base)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, r = rng.randint(0, width), rng.randint(0, height), rng.randint(20, 220)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randint(40, 220) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(6))
    noise = Image.effect_noise((width, height), 18).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _prepare_environment(scratch: Path) -> dict[str, str]:
    """Environment shared by this process and the worker: scratch var dir, database, broker, model."""
    env: dict[str, str] = {
        "DJANGO_SETTINGS_MODULE": "dermreview.settings.development",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every SQL query in memory and slows the ORM
        "DERMREVIEW_VAR_DIR": str(scratch / "var"),
        "DERMREVIEW_MEDIA_ROOT": str(scratch / "media"),
        "DJANGO_LOG_LEVEL": "INFO",
        # The production GPU worker keeps its database connection between drafts (see dermreview/celery.py).
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "300"),
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
    }
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = _scratch_postgres(database_url)
    else:
        env["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    env["CELERY_BROKER_URL"] = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    if not os.environ.get("DERMREVIEW_MODEL") and os.environ.get("DERMREVIEW_BACKEND", "transformers") != "openai":
        from inference_worker.testing.build_tiny_model import build_tiny_model

        env["DERMREVIEW_MODEL"] = str(build_tiny_model(TINY_MODEL_DIR))
        # Small images keep the random model's (subtracted) time short, so 200 uploads finish in minutes on a CPU.
        for name, value in (("DERMREVIEW_MIN_PIXELS", 4 * 32 * 32), ("DERMREVIEW_MAX_PIXELS", 16 * 32 * 32)):
            env[name] = os.environ.get(name, str(value))
    return env


def _scratch_postgres(url: str) -> str:
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'dermreview'}_pipeline_bench"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_scratch_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def _purge_broker(url: str) -> None:
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url)
        client.delete("gpu", "default", *[f"gpu\x06\x16{step}" for step in (3, 6, 9)])
        client.close()


def _start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "-A", "dermreview", "worker", "-Q", "gpu", "--pool", "solo",
               "--hostname", "bench-gpu@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
               "--without-heartbeat"]
    log = log_path.open("wb")
    try:
        return subprocess.Popen(command, cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def _wait(condition: Any, timeout: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
            raise SystemExit(f"timed out waiting for {what}\n--- worker log ---\n{tail}")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200, help="photos to measure (after the warm-up)")
    parser.add_argument("--group", type=int, default=1, help="photos per upload (one transaction, one batch)")
    parser.add_argument("--warmup", type=int, default=5, help="uploads before measuring")
    parser.add_argument("--max-median-ms", type=float, default=100.0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, database)")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="dermreview-pipeline-"))
    env = _prepare_environment(scratch)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models.signals import post_save
    from django.utils import timezone

    from dermreview.accounts.models import Organisation, User
    from dermreview.cases.models import LesionImage
    from dermreview.cases.services.case import case_create
    from dermreview.cases.services.upload import images_upload
    from dermreview.drafting.models import Draft, DraftStatus, WorkerHeartbeat

    call_command("migrate", verbosity=0, interactive=False)
    _purge_broker(settings.CELERY_BROKER_URL)
    organisation = Organisation.objects.create(name="Bench clinic", slug="bench")
    user = User.objects.create_user(username="bench", password="bench-password-long", organisation=organisation)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="clinician"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    committed_at: dict[int, Any] = {}

    def on_image_saved(sender: Any, instance: LesionImage, created: bool, **kwargs: Any) -> None:
        if created:
            # Registered before the upload service queues the draft, so it runs first at the commit.
            transaction.on_commit(lambda pk=instance.pk: committed_at.__setitem__(pk, timezone.now()))

    post_save.connect(on_image_saved, sender=LesionImage, weak=False)

    log_path = scratch / "worker.log"
    worker = _start_worker(env, log_path)
    rng = random.Random(1234)
    rows: list[dict[str, float]] = []
    try:
        _wait(lambda: WorkerHeartbeat.objects.filter(worker__startswith="bench-gpu@", model_loaded=True).exists(),
              600, "the worker to load the model", log_path)
        total = args.warmup + args.uploads
        uploaded = 0
        while uploaded < total:
            count = min(args.group, total - uploaded)
            case = case_create(user=user, patient_ref=f"BENCH-{uploaded:05d}", body_site="back")
            files = [SimpleUploadedFile(f"p{i}.jpg", _photo(rng), content_type="image/jpeg") for i in range(count)]
            report = images_upload(case=case, user=user, files=files, capture_type="clinical")
            image_ids = [image.pk for image in report.accepted]
            assert len(image_ids) == count, report.to_dict()
            seen: dict[int, Any] = {}
            deadline = time.monotonic() + 600
            while len(seen) < count:
                done = Draft.objects.filter(image_id__in=image_ids).exclude(
                    status__in=[DraftStatus.QUEUED, DraftStatus.RUNNING]).values_list("image_id", flat=True)
                now = timezone.now()
                for image_id in done:
                    seen.setdefault(image_id, now)
                if time.monotonic() > deadline:
                    raise SystemExit(f"drafts of case {case.pk} not ready after 10 minutes")
                if len(seen) < count:
                    time.sleep(POLL_S)
            drafts = list(Draft.objects.filter(image_id__in=image_ids))
            for draft in drafts:
                if draft.status != DraftStatus.READY:
                    raise SystemExit(f"draft {draft.pk} ended {draft.status}: {draft.failure_message}")
            if uploaded >= args.warmup:
                for draft in drafts:
                    batch = Draft.objects.filter(claim_token=draft.claim_token)
                    model_ms = sum((d.preprocess_ms or 0) + (d.generate_ms or 0) for d in batch)
                    committed = committed_at[draft.image_id]
                    total_ms = (draft.finished_at - committed).total_seconds() * 1000
                    rows.append({
                        "total_ms": total_ms, "model_ms": model_ms, "overhead_ms": total_ms - model_ms,
                        "batch": draft.batch_size or 0,
                        # commit → claimed by the worker (commit hooks, broker, Celery, the claim itself)
                        "to_claim_ms": (draft.started_at - committed).total_seconds() * 1000,
                        # claimed → results stored, minus the model (gathering, photo loading, storing)
                        "in_worker_ms": (draft.finished_at - draft.started_at).total_seconds() * 1000 - model_ms,
                        # stored → noticed by this script's polling (the script's lag, not the app's)
                        "seen_lag_ms": (seen[draft.image_id] - draft.finished_at).total_seconds() * 1000,
                    })
            uploaded += count
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        connection.close()
        if env["DATABASE_URL"].startswith("postgres") and not args.keep:
            _drop_scratch_postgres(env["DATABASE_URL"])
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"scratch directory kept: {scratch}")

    overhead = [r["overhead_ms"] for r in rows]
    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    print(f"measured {len(rows)} photos in uploads of {args.group} (after {args.warmup} warm-up uploads) "
          f"on {connection.vendor} with the {broker} broker; model {env.get('DERMREVIEW_MODEL', '')}")
    print(f"upload→ready median {statistics.median(r['total_ms'] for r in rows):.1f} ms, "
          f"of which the model {statistics.median(r['model_ms'] for r in rows):.1f} ms")
    print("overhead breakdown (medians): commit→claimed {:.1f} ms, in the worker besides the model {:.1f} ms; "
          "this script noticed results {:.1f} ms after they were stored".format(
              *(statistics.median(r[k] for r in rows) for k in ("to_claim_ms", "in_worker_ms", "seen_lag_ms"))))
    print(f"database={connection.vendor}")
    print(f"broker={broker}")
    print(f"photos={len(rows)}")
    print(f"group={args.group}")
    print(f"model_median_ms={statistics.median(r['model_ms'] for r in rows):.1f}")
    print(f"to_claim_median_ms={statistics.median(r['to_claim_ms'] for r in rows):.1f}")
    print(f"in_worker_median_ms={statistics.median(r['in_worker_ms'] for r in rows):.1f}")
    print(f"overhead_median_ms={statistics.median(overhead):.1f}")
    print(f"overhead_p95_ms={_percentile(overhead, 0.95):.1f}")
    return 0 if statistics.median(overhead) < args.max_median_ms else 1


if __name__ == "__main__":
    sys.exit(main())
