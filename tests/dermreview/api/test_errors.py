"""Every API error is JSON in one shape, whatever raised it; the docs page works offline behind login."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import RequestFactory

from dermreview.api.errors import api_exception_handler, handler500
from tests.dermreview.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_malformed_json_is_a_400_parse_error(api, alice) -> None:  # noqa: ANN001
    response = api(alice).post("/api/v1/cases/", '{"patient_ref": ', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_oversized_body_is_a_413(api, alice, settings) -> None:  # noqa: ANN001
    body = json.dumps({"patient_ref": "PT-1", "body_site": "back", "clinical_notes": "x" * (3 * 1024 * 1024)})
    response = api(alice).post("/api/v1/cases/", body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_unsupported_media_type_is_a_415(api, alice) -> None:  # noqa: ANN001
    response = api(alice).post("/api/v1/cases/", "patient_ref=PT-1", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_wrong_method_is_a_405(api, alice, alice_case) -> None:  # noqa: ANN001
    assert_error(api(alice).put(f"/api/v1/cases/{alice_case.pk}/", {}, format="json"), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/abc/", "/api/v2/cases/", "/api/"])
def test_unknown_api_paths_are_json_404s(api, alice, path) -> None:  # noqa: ANN001
    body = assert_error(api(alice).get(path), 404, "not_found")
    if path == "/api/v1/cases":
        assert "slash" in body["detail"]


def test_unknown_api_path_answers_a_cookie_post_with_json_not_the_csrf_page(client, alice) -> None:  # noqa: ANN001
    client.force_login(alice)
    assert_error(client.post("/api/v1/cases/x/images/", {}), 404, "not_found")


def test_non_api_pages_keep_djangos_404(client, alice) -> None:  # noqa: ANN001
    client.force_login(alice)
    response = client.get("/cases/999999/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_unexpected_exception_in_a_view_is_a_logged_json_500(caplog) -> None:  # noqa: ANN001
    with caplog.at_level(logging.ERROR, logger="dermreview.api"):
        response = api_exception_handler(RuntimeError("boom"), {"request": None})
    assert response.status_code == 500
    assert response.data == {"error": "server_error", "fields": {},
                             "detail": "The server failed to handle this request; it has been logged."}
    assert "boom" in caplog.text


def test_project_500_handler_answers_api_paths_in_json() -> None:
    api_response = handler500(RequestFactory().get("/api/v1/cases/"))
    assert api_response.status_code == 500 and json.loads(api_response.content)["error"] == "server_error"
    page = handler500(RequestFactory().get("/cases/"))
    assert page.status_code == 500 and not page["Content-Type"].startswith("application/json")


def test_docs_page_is_served_offline_to_signed_in_users(client, alice) -> None:  # noqa: ANN001
    assert client.get("/api/v1/docs/").status_code == 302  # anonymous: the login page
    client.force_login(alice)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "https://" not in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "/api/v1/schema/" in script.content.decode()


def test_schema_is_openapi_3_and_needs_authentication(api, carol) -> None:  # noqa: ANN001
    assert_error(api(None).get("/api/v1/schema/"), 401, "not_authenticated")
    response = api(carol).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/findings/export/" in schema["paths"]
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"error", "detail", "fields"}
