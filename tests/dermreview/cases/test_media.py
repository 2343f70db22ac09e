from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.services.upload import images_upload
from dermreview.cases.views.media import display_url, image_url, thumbnail_url
from tests.dermreview.cases.upload_helpers import as_upload
from tests.fixtures import upload_corpus as corpus

pytestmark = pytest.mark.django_db

ROUTES = ["cases:image_file", "cases:image_thumbnail", "cases:image_display"]
CACHED = "private, max-age=3600, must-revalidate"


def _content(response) -> bytes:  # noqa: ANN001
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("persona", ["alice", "bob", "carol"])
def test_media_full_image_served_to_same_clinic_with_safe_headers(persona, request, client_for, alice_image):
    response = client_for(request.getfixturevalue(persona)).get(reverse("cases:image_file", args=[alice_image.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="image-{alice_image.pk}.jpg"'
    with alice_image.file.open("rb") as stored:
        assert _content(response) == stored.read()


@pytest.mark.parametrize("persona", ["alice", "bob", "carol"])
def test_media_thumbnail_served_to_same_clinic(persona, request, client_for, alice_image):
    response = client_for(request.getfixturevalue(persona)).get(reverse("cases:image_thumbnail", args=[alice_image.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == CACHED
    assert response["ETag"].startswith(f'"{alice_image.sha256}-')
    with alice_image.thumbnail.open("rb") as stored:
        assert _content(response) == stored.read()


@pytest.mark.parametrize("route", ROUTES)
def test_media_is_404_for_outsider(route, client_for, mallory, alice_image):
    assert client_for(mallory).get(reverse(route, args=[alice_image.pk])).status_code == 404


@pytest.mark.parametrize("route", ROUTES)
def test_media_sends_anonymous_to_login(route, client, alice_image):
    response = client.get(reverse(route, args=[alice_image.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("route", ROUTES)
def test_media_refuses_post(route, client_for, alice, alice_image):
    assert client_for(alice).post(reverse(route, args=[alice_image.pk])).status_code == 405


def test_media_audits_full_image_views_but_not_thumbnails(client_for, bob, alice_image):
    client = client_for(bob)
    client.get(reverse("cases:image_thumbnail", args=[alice_image.pk]))
    assert not AuditEvent.objects.filter(action="image.view").exists()

    client.get(reverse("cases:image_file", args=[alice_image.pk]))

    event = AuditEvent.objects.get(action="image.view")
    assert event.actor == bob and event.object_id == str(alice_image.pk) and event.case_id == alice_image.case_id
    assert event.organisation == alice_image.case.organisation


def test_media_x_accel_redirect_mode_sends_header_and_no_body(settings, client_for, alice, alice_image):
    settings.DERMREVIEW_MEDIA_SERVE = "x-accel-redirect"
    settings.DERMREVIEW_MEDIA_ACCEL_PREFIX = "/protected-media/"
    client = client_for(alice)

    for route, stored in (("cases:image_file", alice_image.file), ("cases:image_thumbnail", alice_image.thumbnail)):
        response = client.get(reverse(route, args=[alice_image.pk]))
        assert response.status_code == 200 and response.content == b""
        assert response["X-Accel-Redirect"] == f"/protected-media/{stored.name}"
        assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Type"] == "image/jpeg"


def test_media_x_accel_redirect_still_checks_access(settings, client_for, mallory, alice_image):
    settings.DERMREVIEW_MEDIA_SERVE = "x-accel-redirect"
    response = client_for(mallory).get(reverse("cases:image_file", args=[alice_image.pk]))
    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_media_x_sendfile_mode_sends_absolute_path(settings, client_for, alice, alice_image):
    settings.DERMREVIEW_MEDIA_SERVE = "x-sendfile"

    response = client_for(alice).get(reverse("cases:image_file", args=[alice_image.pk]))

    assert response.content == b""
    assert response["X-Sendfile"] == str(Path(settings.MEDIA_ROOT) / alice_image.file.name)
    assert Path(response["X-Sendfile"]).is_absolute()


def test_media_serves_polyglot_upload_only_as_clean_jpeg(client_for, alice, alice_case):
    [image] = images_upload(case=alice_case, user=alice, capture_type="clinical",
                            files=[as_upload("polyglot.png", corpus.png_polyglot(), "text/html")]).accepted

    response = client_for(alice).get(reverse("cases:image_file", args=[image.pk]))

    body = _content(response)
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert body.startswith(b"\xff\xd8\xff") and b"<html" not in body and b"<script" not in body
    assert "sandbox" in response["Content-Security-Policy"]


def test_media_missing_file_is_404(client_for, alice, alice_image):
    alice_image.file.storage.delete(alice_image.file.name)
    assert client_for(alice).get(reverse("cases:image_file", args=[alice_image.pk])).status_code == 404


def test_media_url_helpers_match_named_routes(alice_image):
    assert image_url(alice_image) == f"/cases/media/images/{alice_image.pk}/"
    assert thumbnail_url(alice_image) == f"/cases/media/thumbnails/{alice_image.pk}/"
    assert display_url(alice_image) == f"/cases/media/display/{alice_image.pk}/"


# --- caching: display and thumbnail carry a strong ETag and private caching; the original is never stored --------

@pytest.fixture
def uploaded(alice, alice_case):  # noqa: ANN001, ANN201 - a photo stored by the real upload service (with a display)
    return images_upload(case=alice_case, user=alice, capture_type="clinical",
                         files=[as_upload("a.png", corpus.CORPUS_BY_NAME["valid_png"].make_bytes())]).accepted[0]


@pytest.mark.parametrize("route", ["cases:image_display", "cases:image_thumbnail"])
def test_media_cached_variants_revalidate_with_304_and_no_body(route, client_for, bob, uploaded):
    client = client_for(bob)
    first = client.get(reverse(route, args=[uploaded.pk]))
    etag = first["ETag"]
    assert first.status_code == 200 and first["Cache-Control"] == CACHED and _content(first)
    assert etag.startswith(f'"{uploaded.sha256}-') and not etag.startswith("W/")

    again = client.get(reverse(route, args=[uploaded.pk]), HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == CACHED
    assert again["X-Content-Type-Options"] == "nosniff" and "sandbox" in again["Content-Security-Policy"]
    # A weak form of the same tag and a list that holds it also match; another tag does not.
    assert client.get(reverse(route, args=[uploaded.pk]), HTTP_IF_NONE_MATCH=f'"x", W/{etag}').status_code == 304
    assert client.get(reverse(route, args=[uploaded.pk]), HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_media_display_serves_the_derivative_not_the_original(client_for, bob, uploaded):
    response = client_for(bob).get(reverse("cases:image_display", args=[uploaded.pk]))
    with uploaded.display.open("rb") as stored:
        assert _content(response) == stored.read()
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="image-{uploaded.pk}-display.jpg"'


@pytest.mark.parametrize("route", ["cases:image_display", "cases:image_thumbnail"])
def test_media_outsider_with_a_valid_etag_gets_404_not_304(route, client, client_for, alice, mallory, uploaded):
    etag = client_for(alice).get(reverse(route, args=[uploaded.pk]))["ETag"]
    client.logout()

    response = client_for(mallory).get(reverse(route, args=[uploaded.pk]), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 404 and "ETag" not in response


def test_media_anonymous_with_a_valid_etag_is_sent_to_login(client, client_for, alice, uploaded):
    etag = client_for(alice).get(reverse("cases:image_display", args=[uploaded.pk]))["ETag"]
    client.logout()
    response = client.get(reverse("cases:image_display", args=[uploaded.pk]), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 302 and "ETag" not in response


def test_media_display_views_are_audited_revalidations_included(client_for, bob, uploaded):
    client = client_for(bob)
    etag = client.get(reverse("cases:image_display", args=[uploaded.pk]))["ETag"]
    client.get(reverse("cases:image_display", args=[uploaded.pk]), HTTP_IF_NONE_MATCH=etag)
    events = AuditEvent.objects.filter(action="image.view", actor=bob, object_id=str(uploaded.pk))
    assert events.count() == 2 and all(e.details == {"variant": "display"} for e in events)


def test_media_original_is_on_demand_never_stored_and_without_etag(client_for, bob, mallory, client, uploaded):
    response = client_for(bob).get(reverse("cases:image_file", args=[uploaded.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store" and "ETag" not in response
    with uploaded.file.open("rb") as stored:
        original = stored.read()
    assert _content(response) == original and len(original) > 0
    client.logout()
    assert client_for(mallory).get(reverse("cases:image_file", args=[uploaded.pk])).status_code == 404


def test_media_x_accel_mode_carries_etag_and_cache_headers(settings, client_for, alice, uploaded):
    settings.DERMREVIEW_MEDIA_SERVE = "x-accel-redirect"
    settings.DERMREVIEW_MEDIA_ACCEL_PREFIX = "/protected-media/"
    client = client_for(alice)

    response = client.get(reverse("cases:image_display", args=[uploaded.pk]))

    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{uploaded.display.name}"
    assert response["ETag"].startswith(f'"{uploaded.sha256}-') and response["Cache-Control"] == CACHED
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    again = client.get(reverse("cases:image_display", args=[uploaded.pk]), HTTP_IF_NONE_MATCH=response["ETag"])
    # nginx passes a 304 through as it is: no X-Accel-Redirect, so it does not send the file after all.
    assert again.status_code == 304 and "X-Accel-Redirect" not in again and again["ETag"] == response["ETag"]
    original = client.get(reverse("cases:image_file", args=[uploaded.pk]))
    assert original["X-Accel-Redirect"] == f"/protected-media/{uploaded.file.name}"
    assert original["Cache-Control"] == "private, no-store"
