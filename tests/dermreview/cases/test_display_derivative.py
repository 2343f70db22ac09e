"""The display derivative: made at upload beside the thumbnail, and afterwards for photos stored without one."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image, ImageChops

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import LesionImage
from dermreview.cases.services.image_processing import DISPLAY_MAX_SIDE, image_clean
from dermreview.cases.services.upload import images_upload
from tests.dermreview.cases.upload_helpers import as_upload

pytestmark = pytest.mark.django_db


def _phone_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A 12-megapixel JPEG that compresses like a photo: a gradient under fine noise."""
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    channels = [ImageChops.add(gradient, noise, 2.0, offset) for offset in (60, 30, 10)]
    buffer = io.BytesIO()
    Image.merge("RGB", channels).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    return _phone_photo()


def test_display_derivative_is_at_most_2048_px_and_much_smaller_than_a_12_mp_original(phone_photo):
    clean = image_clean(data=phone_photo)

    assert (clean.width, clean.height) == (4000, 3000) and _size(clean.data) == (4000, 3000)
    assert _size(clean.display) == (2048, 1536) and DISPLAY_MAX_SIDE == 2048
    assert len(clean.display) * 4 < len(clean.data)
    assert clean.display.startswith(b"\xff\xd8\xff")


def test_display_derivative_never_enlarges_a_small_photo():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (180, 120, 100)).save(buffer, "PNG")
    assert _size(image_clean(data=buffer.getvalue()).display) == (300, 200)


def test_display_derivative_is_stored_at_upload_and_served(client_for, alice, bob, alice_case, phone_photo):
    [image] = images_upload(case=alice_case, user=alice, capture_type="clinical",
                            files=[as_upload("IMG_0001.jpg", phone_photo)]).accepted
    assert image.display.name.endswith("-display.jpg") and image.display.name.startswith(f"cases/{alice_case.pk}/")

    response = client_for(bob).get(reverse("cases:image_display", args=[image.pk]))

    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and _size(body) == (2048, 1536)
    assert len(body) * 4 < image.byte_size


def test_display_of_a_photo_stored_before_derivatives_is_its_original_until_derived(client_for, bob, alice_image):
    assert not alice_image.display.name  # stored the old way: file and thumbnail only
    client = client_for(bob)
    before = client.get(reverse("cases:image_display", args=[alice_image.pk]))
    with alice_image.file.open("rb") as stored:
        assert b"".join(before.streaming_content) == stored.read()

    call_command("photos_derive", stdout=io.StringIO())

    alice_image.refresh_from_db()
    assert alice_image.display.name.endswith("-display.jpg")
    after = client.get(reverse("cases:image_display", args=[alice_image.pk]), HTTP_IF_NONE_MATCH=before["ETag"])
    # A new file means a new tag: the browser's cached original is replaced by the derivative.
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    with alice_image.display.open("rb") as stored:
        derived = stored.read()
    assert b"".join(after.streaming_content) == derived and _size(derived) == (alice_image.width, alice_image.height)
    assert AuditEvent.objects.filter(action="image.display_derived", object_id=str(alice_image.pk)).count() == 1


def test_photos_derive_is_safe_to_rerun(alice_image):
    out = io.StringIO()
    call_command("photos_derive", stdout=out)
    name = LesionImage.objects.get(pk=alice_image.pk).display.name
    call_command("photos_derive", stdout=out)

    assert LesionImage.objects.get(pk=alice_image.pk).display.name == name
    assert "created: 1; failed: 0" in out.getvalue() and "created: 0; failed: 0" in out.getvalue()


def test_photos_derive_reports_a_missing_original_and_derives_the_others(alice_case, alice_image):
    from tests.factories import LesionImageFactory

    other = LesionImageFactory(case=alice_case)
    alice_image.file.storage.delete(alice_image.file.name)
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 photo"):
        call_command("photos_derive", stdout=io.StringIO(), stderr=err)

    assert f"Image {alice_image.pk}" in err.getvalue()
    assert LesionImage.objects.get(pk=other.pk).display.name
    assert not LesionImage.objects.get(pk=alice_image.pk).display.name


def test_api_lists_display_url_and_serves_the_derivative_to_token_clients(alice, bob, mallory, alice_case):
    from rest_framework.test import APIClient

    from tests.factories import api_key_for

    def api(user):  # noqa: ANN001, ANN202
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
        return client

    buffer = io.BytesIO()
    Image.new("RGB", (3000, 1000), (180, 120, 100)).save(buffer, "PNG")
    [image] = images_upload(case=alice_case, user=alice, capture_type="clinical",
                            files=[as_upload("wide.png", buffer.getvalue())]).accepted

    body = api(bob).get(reverse("api-image-detail", args=[image.pk])).json()

    assert body["display_url"].endswith(reverse("cases:image_display", args=[image.pk]))
    assert body["api_display_url"].endswith(reverse("api-image-display", args=[image.pk]))
    photo = api(bob).get(body["api_display_url"])
    assert photo.status_code == 200 and _size(b"".join(photo.streaming_content)) == (2048, 683)
    assert api(bob).get(body["api_display_url"], HTTP_IF_NONE_MATCH=photo["ETag"]).status_code == 304
    assert api(mallory).get(body["api_display_url"], HTTP_IF_NONE_MATCH=photo["ETag"]).status_code == 404
