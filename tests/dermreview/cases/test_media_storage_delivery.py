"""Photos from a bucket reach only those Django lets through: a short-lived signed redirect, or streamed bytes.

Against a real SeaweedFS (tests/storage_server.py); the signed URLs are fetched from it for real.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.services.upload import images_upload
from tests.dermreview.cases.upload_helpers import as_upload
from tests.fixtures import upload_corpus as corpus

pytestmark = pytest.mark.django_db

ROUTES = ["cases:image_file", "cases:image_thumbnail", "cases:image_display"]


@pytest.fixture
def s3_image(s3_storage, alice, alice_case):  # noqa: ANN001, ANN201
    report = images_upload(case=alice_case, user=alice, files=[as_upload("a.jpg", corpus.jpeg(seed=70))],
                           capture_type="clinical")
    return report.accepted[0]


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's own server
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.parametrize(("route", "field", "object_cache"), [
    ("cases:image_file", "file", "private, no-store"),
    ("cases:image_display", "display", "private, max-age=3600, must-revalidate"),
    ("cases:image_thumbnail", "thumbnail", "private, max-age=3600, must-revalidate"),
])
def test_presigned_redirect_is_uncached_short_lived_and_serves_the_photo(route, field, object_cache, s3_server,
                                                                         client_for, bob, s3_image, settings):
    settings.DERMREVIEW_MEDIA_DELIVERY = "presigned"
    response = client_for(bob).get(reverse(route, args=[s3_image.pk]))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response
    location = response["Location"]
    assert location.startswith(s3_server.endpoint_url + "/")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == [str(settings.DERMREVIEW_MEDIA_PRESIGNED_TTL_S)]

    status, headers, body = _fetch(location)
    assert status == 200
    assert headers["Content-Type"] == "image/jpeg" and headers["Cache-Control"] == object_cache
    with getattr(s3_image, field).open("rb") as stored:
        assert body == stored.read()


def test_presigned_url_is_refused_by_the_bucket_once_tampered(s3_server, client_for, bob, s3_image, settings):
    settings.DERMREVIEW_MEDIA_DELIVERY = "presigned"
    location = client_for(bob).get(reverse("cases:image_file", args=[s3_image.pk]))["Location"]
    # The same signature for another photo's key: the bucket answers 403, so a URL is good for its photo only.
    tampered = location.replace(s3_image.file.name, s3_image.thumbnail.name)

    assert tampered != location
    assert _fetch(tampered)[0] == 403


def test_presigned_original_opening_is_audited(client_for, bob, s3_image, settings):
    settings.DERMREVIEW_MEDIA_DELIVERY = "presigned"
    client_for(bob).get(reverse("cases:image_file", args=[s3_image.pk]))

    assert AuditEvent.objects.filter(action="image.view", actor=bob, object_id=str(s3_image.pk)).count() == 1


@pytest.mark.parametrize("delivery", ["presigned", "stream"])
@pytest.mark.parametrize("route", ROUTES)
def test_bucket_media_is_404_for_outsider_without_any_url(route, delivery, client_for, mallory, s3_image, settings):
    settings.DERMREVIEW_MEDIA_DELIVERY = delivery
    response = client_for(mallory).get(reverse(route, args=[s3_image.pk]))

    assert response.status_code == 404
    assert "Location" not in response and b"X-Amz" not in response.content


def test_streamed_display_comes_through_django_with_etag_and_304(client_for, bob, s3_image, settings):
    settings.DERMREVIEW_MEDIA_DELIVERY = "stream"
    client = client_for(bob)
    url = reverse("cases:image_display", args=[s3_image.pk])
    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600, must-revalidate"
    with s3_image.display.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_streamed_photo_missing_from_the_bucket_is_404(client_for, bob, s3_image, settings, s3_server, s3_storage):
    settings.DERMREVIEW_MEDIA_DELIVERY = "stream"
    s3_server.client().delete_object(Bucket=s3_storage["DERMREVIEW_S3_BUCKET"],
                                     Key=f"{s3_storage['DERMREVIEW_S3_PREFIX']}/{s3_image.file.name}")

    assert client_for(bob).get(reverse("cases:image_file", args=[s3_image.pk])).status_code == 404
