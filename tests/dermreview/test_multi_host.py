"""The multi-host shape (docs/scaling.md): web and GPU worker share the database, the broker and the bucket, no disk.

The web is this test process (var dir A, its own media root); the GPU worker is a real Celery process with another
var dir B and no DERMREVIEW_MEDIA_ROOT of A's. Between them only PostgreSQL (a file database would be a shared
folder: PostgreSQL-only), Redis on a database number of its own, and a real SeaweedFS bucket. An upload is drafted by
the worker with the tiny model, signed through the real service and exported for training (which re-reads the
photo from the bucket); neither var dir holds a photo afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dermreview.cases.models import CaseStatus
from dermreview.cases.services.upload import images_upload
from dermreview.drafting.models import Draft, DraftStatus
from dermreview.review.services.training.export import training_export
from tests.dermreview.cases.upload_helpers import as_upload
from tests.dermreview.review.review_helpers import NEVUS, sign
from tests.factories import CaseFactory, UserFactory, jpeg_bytes
from tests.storage_server import BUCKET
from tests.worker_process import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.celery_worker, pytest.mark.postgres_only,
              pytest.mark.django_db(transaction=True)]

# A Redis database of this test's own: nothing else in the suite sends to it or reads from it.
REDIS_DB = 11
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}


@pytest.fixture
def redis_broker(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Celery in this process switched to Redis database REDIS_DB (and back afterwards), emptied first."""
    import redis

    from dermreview.celery import app

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError:
        if os.environ.get("DERMREVIEW_REQUIRE_POSTGRES") == "1":  # CI runs Redis beside PostgreSQL
            pytest.fail(f"the multi-host test needs Redis at {url}")
        pytest.skip(f"needs Redis at {url}")
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    options = {"visibility_timeout": 3600}
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it): point both.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    _repoint(app, url, options)
    settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS = url, options
    yield url
    monkeypatch.undo()
    _repoint(app, *saved)
    client.flushdb()
    client.close()


def _repoint(app: Any, url: str, options: dict[str, Any]) -> None:
    # The app's connection pool was made for the broker it first used: drop it, so the next send connects anew.
    # kombu also keeps a process-wide producer pool per broker URL, holding the connection pool just closed:
    # clear it too, or the tests after this one would send through a closed pool ("Acquire on closed pool").
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()
    app.conf.broker_url, app.conf.broker_transport_options = url, options


def _photos_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def test_web_and_gpu_worker_share_no_folder_only_database_broker_and_bucket(
    s3_server: Any, s3_storage: dict[str, str], redis_broker: str, drafting_env: dict[str, str],
    start_worker: Any, settings: Any, tmp_path: Path,
) -> None:
    worker_var = tmp_path / "gpu-host-var"  # var dir B: the GPU host's own disk
    worker_var.mkdir()
    worker = start_worker("gpu-host", {
        **drafting_env, **s3_storage,
        "CELERY_BROKER_URL": redis_broker,
        "DERMREVIEW_VAR_DIR": str(worker_var),
        "DERMREVIEW_MEDIA_ROOT": "",  # unset: its default lies inside B, never A's
    })
    clinician = UserFactory(username="alice", roles=["clinician"])
    reviewer = UserFactory(username="bob", organisation=clinician.organisation, roles=["reviewer"])
    second = UserFactory(username="dave", organisation=clinician.organisation, roles=["reviewer"])
    case = CaseFactory(organisation=clinician.organisation, created_by=clinician)

    [image] = images_upload(case=case, user=clinician, files=[as_upload("arm.jpg", jpeg_bytes(96, 72, (160, 90, 70)))],
                            capture_type="clinical").accepted
    draft = wait_for(lambda: Draft.objects.filter(image=image, status=DraftStatus.READY).first(), timeout=120,
                     what="the GPU host to draft the photo it read from the bucket", on_timeout=worker.log_tail)
    assert draft.model_id == "tiny-random-qwen3vl (test model)"

    for signer in (reviewer, second):
        case.refresh_from_db()
        if case.status != CaseStatus.FINAL:
            sign(case, signer, fields=dict(NEVUS))
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL

    export = training_export(organisation=clinician.organisation, out=tmp_path / "export")
    assert export.manifest["counts"]["photos"] == 1
    exported = _photos_under(tmp_path / "export")
    assert len(exported) == 1 and exported[0].read_bytes()[:2] == b"\xff\xd8"

    prefix = s3_storage["DERMREVIEW_S3_PREFIX"] + "/"
    assert sorted(s3_server.keys(BUCKET, prefix)) == sorted(
        prefix + name for name in (image.file.name, image.display.name, image.thumbnail.name))
    assert _photos_under(worker_var) == [], "the GPU host kept a photo on its disk"
    assert _photos_under(Path(settings.MEDIA_ROOT)) == [], "the web host kept a photo on its disk"
    assert str(settings.MEDIA_ROOT) not in worker.log_tail(1_000_000)
