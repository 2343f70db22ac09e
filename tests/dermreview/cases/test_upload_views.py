from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from dermreview.cases.models import CaseStatus, LesionImage
from tests.dermreview.cases.upload_helpers import media_listing
from tests.fixtures import upload_corpus as corpus

pytestmark = pytest.mark.django_db

JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}


def _url(case) -> str:  # noqa: ANN001
    return reverse("cases:image_upload", args=[case.pk])


def _files(*pairs: tuple[str, bytes]) -> list:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return [SimpleUploadedFile(name, data, content_type="image/jpeg") for name, data in pairs]


def test_upload_view_json_reports_each_file(client_for, alice, alice_case):
    response = client_for(alice).post(_url(alice_case), {
        "capture_type": "dermoscopic",
        "files": _files(("a.jpg", corpus.jpeg(seed=80)), ("b.png", corpus.png(seed=81)), ("c.jpg", b"<html>")),
    }, **JSON)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    payload = response.json()
    assert [f["status"] for f in payload["files"]] == ["accepted", "accepted", "rejected"]
    assert payload["files"][2]["message"].startswith("c.jpg: not a JPEG")
    assert payload["case_status"] == "awaiting_review" and payload["case_status_display"] == "Awaiting review"
    assert set(LesionImage.objects.values_list("capture_type", flat=True)) == {"dermoscopic"}
    assert LesionImage.objects.count() == 2 and len(media_listing()) == 6


def test_upload_view_json_all_rejected_is_400_and_stores_nothing(client_for, alice, alice_case):
    response = client_for(alice).post(_url(alice_case), {
        "capture_type": "clinical", "files": _files(("page.jpg", corpus.html_as_jpeg()), ("cut.jpg", corpus.jpeg_truncated())),
    }, **JSON)

    assert response.status_code == 400
    assert [f["code"] for f in response.json()["files"]] == ["unsupported_type", "corrupt"]
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_view_form_post_redirects_with_messages(client_for, alice, alice_case):
    client = client_for(alice)
    response = client.post(_url(alice_case), {
        "capture_type": "clinical",
        "files": _files(("good.jpg", corpus.jpeg(seed=82)), ("page.jpg", corpus.html_as_jpeg())),
    })

    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[alice_case.pk])
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts[0] == "1 photo added. They were kept; the files listed below were not stored."
    assert texts[1].startswith("Not stored: page.jpg: not a JPEG")
    page = client.get(response.url).content.decode()
    assert LesionImage.objects.count() == 1
    assert reverse("cases:image_thumbnail", args=[LesionImage.objects.get().pk]) in page


def test_upload_view_path_traversal_name_in_multipart_is_stored_randomly(client_for, alice, alice_case, tmp_path):
    response = client_for(alice).post(_url(alice_case), {
        "capture_type": "clinical", "files": _files(("../../x.jpg", corpus.jpeg(seed=83))),
    }, **JSON)

    assert response.status_code == 200 and response.json()["files"][0]["file"] == "x.jpg"
    image = LesionImage.objects.get()
    assert re.fullmatch(rf"cases/{alice_case.pk}/[0-9a-f]{{32}}\.jpg", image.file.name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media"] and not list(tmp_path.rglob("x.jpg"))


def test_upload_view_too_many_files_for_django_parser_is_a_clear_400(settings, client_for, alice, alice_case):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = client_for(alice).post(_url(alice_case), {
        "capture_type": "clinical", "files": _files(*[(f"{i}.jpg", corpus.jpeg(seed=90 + i)) for i in range(3)]),
    }, **JSON)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_files" and "Nothing was stored" in response.json()["error"]["message"]
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_view_closed_case_is_409_json_and_message_for_form(client_for, alice, case_factory):
    case = case_factory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    client = client_for(alice)
    data = {"capture_type": "clinical", "files": _files(("a.jpg", corpus.jpeg(seed=84)))}

    assert client.post(_url(case), data, **JSON).status_code == 409
    data["files"] = _files(("a.jpg", corpus.jpeg(seed=84)))
    response = client.post(_url(case), data)
    assert response.status_code == 302
    assert "no longer accepts photos" in str(list(get_messages(response.wsgi_request))[0])
    assert not LesionImage.objects.exists()


def test_upload_view_without_files_says_so(client_for, alice, alice_case):
    response = client_for(alice).post(_url(alice_case), {"capture_type": "clinical"}, **JSON)
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_files"


def test_upload_view_outsider_gets_404_and_nothing_is_stored(client_for, mallory, alice_case):
    response = client_for(mallory).post(_url(alice_case), {
        "capture_type": "clinical", "files": _files(("a.jpg", corpus.jpeg(seed=85))),
    }, **JSON)
    assert response.status_code == 404
    assert not LesionImage.objects.exists() and media_listing() == []


@pytest.mark.parametrize("persona", ["bob", "carol"])
def test_upload_view_reviewer_and_auditor_get_403(persona, request, client_for, alice_case):
    response = client_for(request.getfixturevalue(persona)).post(_url(alice_case), {
        "capture_type": "clinical", "files": _files(("a.jpg", corpus.jpeg(seed=86))),
    }, **JSON)
    assert response.status_code == 403
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_view_anonymous_is_sent_to_login(client, alice_case):
    response = client.post(_url(alice_case), {"capture_type": "clinical", "files": _files(("a.jpg", corpus.jpeg()))})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not LesionImage.objects.exists()


def test_upload_view_enforces_csrf(alice, alice_case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    data = {"capture_type": "clinical", "files": _files(("a.jpg", corpus.jpeg(seed=87)))}

    assert client.post(_url(alice_case), data, **JSON).status_code == 403
    assert not LesionImage.objects.exists() and media_listing() == []

    page = client.get(reverse("cases:detail", args=[alice_case.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data["files"] = _files(("a.jpg", corpus.jpeg(seed=87)))
    response = client.post(_url(alice_case), data, HTTP_X_CSRFTOKEN=token, **JSON)
    assert response.status_code == 200 and LesionImage.objects.count() == 1


def test_upload_view_rejects_get(client_for, alice, alice_case):
    assert client_for(alice).get(_url(alice_case)).status_code == 405


def test_case_page_shows_upload_form_that_works_without_javascript(client_for, alice, alice_case):
    page = client_for(alice).get(reverse("cases:detail", args=[alice_case.pk])).content.decode()

    form = re.search(r'<form class="upload-form"[^>]*>', page).group(0)
    assert 'method="post"' in form and 'enctype="multipart/form-data"' in form and _url(alice_case) in form
    gallery, camera = re.findall(r'<input type="file"[^>]*>', page)
    # Files and gallery: several at once, no `capture` (it would hide the gallery on phones).
    for attribute in ('name="files"', "multiple", 'accept="image/*"'):
        assert attribute in gallery
    assert "capture=" not in gallery
    # The camera: one photo straight from the rear camera.
    for attribute in ('name="files"', 'accept="image/*"', 'capture="environment"'):
        assert attribute in camera
    assert '<select id="upload-capture-type" name="capture_type">' in page and 'value="dermoscopic"' in page
    assert "/static/js/upload.js" in page and "/static/css/cases.css" in page
    assert "<progress" in page and 'id="upload-dropzone"' in page
    assert "up to 20 photos per upload, 25 MB" in page
    assert " style=" not in page and "<script>" not in page  # the CSP allows neither


def test_case_page_hides_upload_form_from_reviewer(client_for, bob, alice_case):
    page = client_for(bob).get(reverse("cases:detail", args=[alice_case.pk])).content.decode()
    assert 'id="upload-form"' not in page and "upload.js" not in page
    assert 'id="image-grid"' in page


def test_image_grid_fragment_lists_thumbnails_through_protected_routes(client_for, bob, alice_case, image_factory):
    images = [image_factory(case=alice_case), image_factory(case=alice_case, capture_type="dermoscopic", width=30, height=20)]

    response = client_for(bob).get(reverse("cases:image_grid", args=[alice_case.pk]))

    html = response.content.decode()
    assert response.status_code == 200 and 'id="image-grid"' in html
    for image in images:
        assert reverse("cases:image_thumbnail", args=[image.pk]) in html
        assert reverse("cases:image_file", args=[image.pk]) in html
    assert "Dermoscopic" in html and "30×20 px" in html
    assert "<html" not in html  # a fragment, not a page


def test_image_grid_fragment_is_404_for_outsider(client_for, mallory, alice_image):
    assert client_for(mallory).get(reverse("cases:image_grid", args=[alice_image.case_id])).status_code == 404


def _csrf_client(user, case):  # noqa: ANN001, ANN202
    """A client that, like a browser, must send the page's CSRF token (so the middleware parses the body first)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    return client, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_upload_view_22_files_from_the_browser_get_the_limit_message_and_nothing_is_stored(alice, alice_case):
    client, token = _csrf_client(alice, alice_case)
    files = _files(*[(f"{i}.jpg", corpus.jpeg(8, 8, seed=400 + i)) for i in range(22)])

    response = client.post(_url(alice_case), {"capture_type": "clinical", "files": files},
                           HTTP_X_CSRFTOKEN=token, **JSON)

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "too_many_files"
    assert error["message"].startswith("At most 20 files per upload; you sent 22. Nothing was stored")
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_view_22_files_without_javascript_redirect_with_the_limit_message(alice, alice_case):
    client, token = _csrf_client(alice, alice_case)
    files = _files(*[(f"{i}.jpg", corpus.jpeg(8, 8, seed=430 + i)) for i in range(22)])

    response = client.post(_url(alice_case), {"capture_type": "clinical", "files": files,
                                              "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("At most 20 files per upload; you sent 22.")
    assert not LesionImage.objects.exists() and media_listing() == []
