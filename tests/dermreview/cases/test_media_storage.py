"""Photos in storage, on both backends: a folder (the default) and a real S3 bucket (SeaweedFS, tests/storage_server.py).

Written with their rows or not at all, never overwritten, orphans swept (and only old ones), encryption passed on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import LesionImage
from dermreview.cases.services.media_storage import media_atomic
from dermreview.cases.services.upload import images_upload
from dermreview.cases.signals import images_stored
from dermreview.cases.tasks import media_sweep_orphans
from dermreview.settings.storage import presigned_origins, s3_options
from tests.dermreview.cases.upload_helpers import as_upload, media_listing
from tests.fixtures import upload_corpus as corpus
from tests.storage_server import BUCKET, use_s3_storage

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["fs", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


@pytest.fixture
def stored_keys(backend: str, request: pytest.FixtureRequest):  # noqa: ANN201
    """`stored_keys()`: every object in the backend, listed by the backend itself (not by the code under test)."""
    if backend == "fs":
        return media_listing
    server, env = request.getfixturevalue("s3_server"), request.getfixturevalue("s3_storage")
    prefix = env["DERMREVIEW_S3_PREFIX"] + "/"
    return lambda: [key.removeprefix(prefix) for key in server.keys(BUCKET, prefix)]


def _upload(case, user, seed: int = 60):  # noqa: ANN001, ANN202
    return images_upload(case=case, user=user, files=[as_upload("lesion.jpg", corpus.jpeg(seed=seed))],
                         capture_type="clinical")


def test_upload_stores_photo_display_and_thumbnail_in_the_backend(backend, stored_keys, alice, alice_case,
                                                                  settings):
    image = _upload(alice_case, alice).accepted[0]

    assert stored_keys() == sorted([image.file.name, image.display.name, image.thumbnail.name])
    assert all(name.startswith(f"cases/{alice_case.pk}/") for name in stored_keys())
    with image.file.open("rb") as stored:
        assert stored.read()[:2] == b"\xff\xd8"  # a JPEG, read back through the storage API
    if backend == "s3":
        assert media_listing(Path(settings.MEDIA_ROOT)) == []  # nothing on the web's disk


def test_failed_upload_transaction_leaves_no_object(backend, stored_keys, alice, alice_case):
    def explode(**kwargs: object) -> None:
        raise RuntimeError("the database went away mid-upload")

    images_stored.connect(explode, dispatch_uid="test-explode")
    try:
        with pytest.raises(RuntimeError, match="went away"):
            _upload(alice_case, alice)
    finally:
        images_stored.disconnect(dispatch_uid="test-explode")

    assert stored_keys() == []
    assert not LesionImage.objects.exists()


def test_media_atomic_deletes_what_it_wrote_only_when_the_block_raises(backend, stored_keys):
    with pytest.raises(ValueError, match="rolled back"), media_atomic() as writes:
        writes.save(default_storage, "cases/1/gone.jpg", ContentFile(b"x"))
        raise ValueError("rolled back")
    with media_atomic() as writes:
        kept = writes.save(default_storage, "cases/1/kept.jpg", ContentFile(b"y"))

    assert stored_keys() == [kept]


def test_storage_never_overwrites_an_existing_name(backend, stored_keys):
    first = default_storage.save("cases/1/same.jpg", ContentFile(b"first"))
    second = default_storage.save("cases/1/same.jpg", ContentFile(b"second"))

    assert first != second and sorted([first, second]) == stored_keys()
    with default_storage.open(first, "rb") as handle:
        assert handle.read() == b"first"


def test_sweep_deletes_old_orphans_and_keeps_referenced_and_young_objects(backend, stored_keys, alice, alice_case):
    image = _upload(alice_case, alice).accepted[0]
    orphan = default_storage.save(f"cases/{alice_case.pk}/orphan.jpg", ContentFile(b"left behind"))
    referenced = sorted([image.file.name, image.display.name, image.thumbnail.name])

    call_command("media_sweep_orphans")  # default grace 1h: the orphan is seconds old, as an upload in flight
    assert stored_keys() == sorted([*referenced, orphan])

    call_command("media_sweep_orphans", "--older-than", "0s", "--dry-run")
    assert stored_keys() == sorted([*referenced, orphan])
    assert not AuditEvent.objects.filter(action="media.orphans_swept").exists()

    call_command("media_sweep_orphans", "--older-than", "0s")
    assert stored_keys() == referenced
    event = AuditEvent.objects.get(action="media.orphans_swept")
    assert event.details["count"] == 1 and event.details["keys"] == [orphan]


def test_sweep_refuses_a_malformed_grace_period(backend, stored_keys):
    orphan = default_storage.save("cases/1/orphan.jpg", ContentFile(b"x"))
    with pytest.raises(CommandError, match="--older-than must look like 90s, 30m, 1h or 7d; got '1 hour'"):
        call_command("media_sweep_orphans", "--older-than", "1 hour")
    assert stored_keys() == [orphan]


def test_s3_server_side_encryption_is_passed_to_every_write(s3_server, s3_storage, settings, alice, alice_case):
    use_s3_storage(settings, {**s3_storage, "DERMREVIEW_S3_SSE": "AES256"}, public_endpoint=s3_server.endpoint_url)
    image = _upload(alice_case, alice).accepted[0]

    client = s3_server.client()
    for name in (image.file.name, image.display.name, image.thumbnail.name):
        head = client.head_object(Bucket=BUCKET, Key=f"{s3_storage['DERMREVIEW_S3_PREFIX']}/{name}")
        assert head["ServerSideEncryption"] == "AES256"


def test_s3_options_pass_kms_settings_through_and_refuse_inconsistent_ones():
    base = {"DERMREVIEW_S3_BUCKET": "photos"}
    options = s3_options({**base, "DERMREVIEW_S3_SSE": "aws:kms", "DERMREVIEW_S3_SSE_KMS_KEY_ID": "alias/derm"})
    assert options["object_parameters"] == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/derm"}
    assert options["file_overwrite"] is False and options["default_acl"] == "private"

    with pytest.raises(ImproperlyConfigured, match="DERMREVIEW_S3_SSE_KMS_KEY_ID needs DERMREVIEW_S3_SSE=aws:kms"):
        s3_options({**base, "DERMREVIEW_S3_SSE_KMS_KEY_ID": "alias/derm"})
    with pytest.raises(ImproperlyConfigured, match="needs DERMREVIEW_S3_BUCKET"):
        s3_options({})
    with pytest.raises(ImproperlyConfigured, match="DERMREVIEW_S3_SSE"):
        s3_options({**base, "DERMREVIEW_S3_SSE": "rot13"})


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, ["https://media.example.org"]),
    ({"DERMREVIEW_S3_ADDRESSING_STYLE": "virtual"}, ["https://photos.media.example.org"]),
    ({"DERMREVIEW_MEDIA_DELIVERY": "stream"}, []),
    ({"DERMREVIEW_MEDIA_STORAGE": "fs"}, []),
])
def test_csp_img_src_allows_the_public_bucket_origin_only_under_presigned_delivery(extra, expected):
    environ = {"DERMREVIEW_MEDIA_STORAGE": "s3", "DERMREVIEW_S3_BUCKET": "photos",
               "DERMREVIEW_S3_ENDPOINT_URL": "http://s3:8333",
               "DERMREVIEW_S3_PUBLIC_ENDPOINT_URL": "https://media.example.org/", **extra}
    assert presigned_origins(environ) == expected


def test_beat_sweeps_daily_and_its_task_keeps_a_day_of_grace(settings):
    from dermreview.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["media-sweep-orphans"]
    assert entry["task"] in app.tasks and entry["options"]["queue"] == "default"
    day_old = default_storage.save("cases/1/day-old.jpg", ContentFile(b"x"))
    hour_old = default_storage.save("cases/1/hour-old.jpg", ContentFile(b"y"))
    for name, age_s in ((day_old, 25 * 3600), (hour_old, 3600)):
        then = time.time() - age_s
        os.utime(default_storage.path(name), (then, then))

    assert media_sweep_orphans() == 1
    assert media_listing() == [hour_old]


def _settings_in_a_new_process(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    script = ("import json, django; django.setup(); from django.conf import settings as s; "
              "print(json.dumps([s.STORAGES['default']['BACKEND'], s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DERMREVIEW_", "DJANGO_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "dermreview.settings.development",
                               "DERMREVIEW_VAR_DIR": str(tmp_path), **env})


def test_settings_wire_the_bucket_and_its_origin_into_storages_and_the_csp(tmp_path):
    result = _settings_in_a_new_process(tmp_path, DERMREVIEW_MEDIA_STORAGE="s3", DERMREVIEW_S3_BUCKET="photos",
                                        DERMREVIEW_S3_ENDPOINT_URL="http://s3:8333",
                                        DERMREVIEW_S3_PUBLIC_ENDPOINT_URL="https://media.example.org")
    assert result.returncode == 0, result.stderr
    backend, img_src = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == "storages.backends.s3.S3Storage"
    assert img_src == ["'self'", "data:", "blob:", "https://media.example.org"]


@pytest.mark.parametrize(("env", "message"), [
    ({"DERMREVIEW_S3_BUCKET": ""}, "DERMREVIEW_MEDIA_STORAGE=s3 needs DERMREVIEW_S3_BUCKET"),
    ({"DERMREVIEW_S3_BUCKET": "photos", "DERMREVIEW_MEDIA_SERVE": "x-accel-redirect"},
     "DERMREVIEW_MEDIA_SERVE must be `django` with DERMREVIEW_MEDIA_STORAGE=s3"),
])
def test_settings_refuse_to_start_with_an_unusable_bucket_configuration(tmp_path, env, message):
    result = _settings_in_a_new_process(tmp_path, DERMREVIEW_MEDIA_STORAGE="s3", **env)
    assert result.returncode != 0 and message in result.stderr
