from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.services.upload import images_upload
from dermreview.cases.views.media import image_url, thumbnail_url
from tests.dermreview.cases.upload_helpers import as_upload
from tests.fixtures import upload_corpus as corpus

pytestmark = pytest.mark.django_db

ROUTES = ["cases:image_file", "cases:image_thumbnail"]


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
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "private, no-store"
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
