"""Uploads over the API go through the browser's validation: the shared corpus gives the same codes on both."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.settings import api_settings

from dermreview.cases.models import CaseStatus, LesionImage
from dermreview.drafting.models import Draft
from tests.dermreview.api.conftest import assert_error
from tests.dermreview.cases.upload_helpers import as_upload, corpus_upload, media_listing
from tests.factories import CaseFactory
from tests.fixtures import upload_corpus as corpus

pytestmark = pytest.mark.django_db
BROWSER_JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}


def _url(case) -> str:  # noqa: ANN001
    return f"/api/v1/cases/{case.pk}/images/"


def _new_case(alice):  # noqa: ANN001, ANN202
    return CaseFactory(organisation=alice.organisation, created_by=alice)


@pytest.mark.parametrize("entry", corpus.CORPUS, ids=[e.name for e in corpus.CORPUS])
def test_api_upload_gives_each_corpus_file_the_browsers_code(api, client_for, alice, entry) -> None:  # noqa: ANN001
    api_case, page_case = _new_case(alice), _new_case(alice)
    response = api(alice).post(_url(api_case), {"files": [corpus_upload(entry)], "capture_type": "clinical"},
                               format="multipart")
    browser = client_for(alice).post(reverse("cases:image_upload", args=[page_case.pk]),
                                     {"files": [corpus_upload(entry)], "capture_type": "clinical"}, **BROWSER_JSON)

    if entry.accepted:
        assert response.status_code == 201, response.content
        report = response.json()
        assert report["images"][0]["id"] == report["files"][0]["image_id"]
        assert report["case_status"] == CaseStatus.AWAITING_REVIEW
    else:
        body = assert_error(response, 400, "upload_rejected")
        assert body["fields"] == {"files.0": [body["report"]["files"][0]["message"]]}
        report = body["report"]
        assert not LesionImage.objects.filter(case=api_case).exists()
    api_file, browser_file = report["files"][0], browser.json()["files"][0]
    assert api_file["code"] == browser_file["code"] == entry.expected_code
    assert api_file["status"] == browser_file["status"]


def test_api_upload_of_the_whole_corpus_reports_every_file_in_order(api, alice) -> None:  # noqa: ANN001
    case = _new_case(alice)
    response = api(alice).post(_url(case), {"files": [corpus_upload(e) for e in corpus.CORPUS],
                                            "capture_type": "dermoscopic"}, format="multipart")
    assert response.status_code == 201, response.content
    report = response.json()
    assert [f["code"] for f in report["files"]] == [e.expected_code for e in corpus.CORPUS]
    accepted = [e for e in corpus.CORPUS if e.accepted]
    assert report["accepted"] == len(accepted) == len(report["images"])
    assert LesionImage.objects.filter(case=case, capture_type="dermoscopic").count() == len(accepted)
    assert Draft.objects.filter(image__case=case).count() == len(accepted)  # each accepted photo gets a draft
    image = report["images"][0]
    assert image["api_file_url"].endswith(f"/api/v1/images/{image['id']}/file/")
    assert image["file_url"].endswith(reverse("cases:image_file", args=[image["id"]]))


def test_api_upload_of_a_photo_already_in_the_case_is_200_duplicate(api, alice) -> None:  # noqa: ANN001
    case = _new_case(alice)
    client = api(alice)
    data = corpus.jpeg(seed=99)

    def send(name: str):  # noqa: ANN202
        return client.post(_url(case), {"files": [as_upload(name, data)], "capture_type": "clinical"},
                           format="multipart")

    assert send("a.jpg").status_code == 201
    again = send("b.jpg")
    assert again.status_code == 200
    assert again.json()["files"][0]["status"] == "duplicate"
    assert again.json()["images"] == []
    assert LesionImage.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(("data", "error", "field"), [
    ({"capture_type": "clinical"}, "no_files", "files"),
    ({"capture_type": "xray", "files": "FILE"}, "invalid_capture_type", "capture_type"),
])
def test_api_upload_refuses_a_malformed_request_as_a_whole(api, alice, data, error, field) -> None:  # noqa: ANN001
    case = _new_case(alice)
    if data.get("files") == "FILE":
        data = {**data, "files": [corpus_upload(corpus.CORPUS_BY_NAME["valid_jpeg"])]}
    body = assert_error(api(alice).post(_url(case), data, format="multipart"), 400, error)
    assert list(body["fields"]) == [field]
    assert not LesionImage.objects.exists() and media_listing() == []


def test_api_upload_to_a_final_case_is_a_409(api, alice) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    response = api(alice).post(_url(case), {"files": [corpus_upload(corpus.CORPUS_BY_NAME["valid_jpeg"])],
                                            "capture_type": "clinical"}, format="multipart")
    assert_error(response, 409, "case_closed")


def test_api_upload_needs_multipart(api, alice) -> None:  # noqa: ANN001
    case = _new_case(alice)
    assert_error(api(alice).post(_url(case), {"capture_type": "clinical"}, format="json"), 415,
                 "unsupported_media_type")


def test_api_upload_of_too_many_files_stores_none(api, alice, settings) -> None:  # noqa: ANN001
    case = _new_case(alice)
    files = [corpus_upload(corpus.UploadCase(f"f{i}", f"f{i}.jpg", lambda i=i: corpus.jpeg(8, 8, seed=200 + i),
                                             "accepted")) for i in range(settings.DERMREVIEW_UPLOAD_MAX_FILES + 2)]
    body = assert_error(api(alice).post(_url(case), {"files": files, "capture_type": "clinical"},
                                        format="multipart"), 400, "too_many_files")
    assert list(body["fields"]) == ["files"]
    assert not LesionImage.objects.exists()


def test_api_upload_is_throttled(api, alice, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "api_upload", "2/min")
    case = _new_case(alice)
    client = api(alice)
    for seed in (1, 2):
        entry = corpus.UploadCase("x", "x.jpg", lambda seed=seed: corpus.jpeg(seed=300 + seed), "accepted")
        assert client.post(_url(case), {"files": [corpus_upload(entry)], "capture_type": "clinical"},
                           format="multipart").status_code == 201
    throttled = client.post(_url(case), {"files": [corpus_upload(corpus.CORPUS_BY_NAME["valid_png"])],
                                         "capture_type": "clinical"}, format="multipart")
    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) >= 1
    assert client.get(_url(case)).status_code == 200  # listing is not an upload: not throttled


def test_token_clients_fetch_photo_bytes_through_the_protected_view(api, alice, carol) -> None:  # noqa: ANN001
    from dermreview.audit.models import AuditEvent

    case = _new_case(alice)
    report = api(alice).post(_url(case), {"files": [corpus_upload(corpus.CORPUS_BY_NAME["valid_png"])],
                                          "capture_type": "clinical"}, format="multipart").json()
    image = report["images"][0]
    photo = api(carol).get(image["api_file_url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content).startswith(b"\xff\xd8")  # re-encoded: a JPEG whatever was sent
    assert photo["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="image.view", actor=carol, object_id=str(image["id"])).count() == 1
    thumb = api(carol).get(image["api_thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def _jpegs(count: int, seed: int) -> list:
    return [corpus_upload(corpus.UploadCase(f"f{i}", f"f{i}.jpg", lambda i=i: corpus.jpeg(8, 8, seed=seed + i),
                                            "accepted")) for i in range(count)]


def test_api_upload_of_22_files_gives_the_limit_message_and_stores_none(api, alice) -> None:  # noqa: ANN001
    case = _new_case(alice)
    body = assert_error(api(alice).post(_url(case), {"files": _jpegs(22, 500), "capture_type": "clinical"},
                                        format="multipart"), 400, "too_many_files")
    assert body["fields"]["files"][0].startswith("At most 20 files per upload; you sent 22. Nothing was stored")
    assert not LesionImage.objects.exists() and media_listing() == [] and not Draft.objects.exists()


def test_api_upload_of_22_files_with_a_session_gives_the_limit_message(alice) -> None:  # noqa: ANN001
    from rest_framework.test import APIClient

    # A session client must pass DRF's CSRF check, which parses the body before the view runs.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    token = client.get(reverse("cases:detail", args=[_new_case(alice).pk])).cookies["csrftoken"].value
    response = client.post(_url(_new_case(alice)), {"files": _jpegs(22, 530), "capture_type": "clinical"},
                           format="multipart", HTTP_X_CSRFTOKEN=token)
    body = assert_error(response, 400, "too_many_files")
    assert body["fields"]["files"][0].startswith("At most 20 files per upload; you sent 22.")
    assert not LesionImage.objects.exists() and media_listing() == []
