"""The Content-Security-Policy (django-csp): strict on every response, pages we did not write included; photos keep
their own sandboxing policy; our templates inline nothing. Every route is checked in tests/dermreview/test_url_access.py,
and the Swagger UI and the admin in a real browser in tests/e2e/test_csp_pages.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def policy_of(response: HttpResponse) -> dict[str, str]:
    """The CSP header as {directive: sources}."""
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, sources in directives}


@pytest.mark.django_db
def test_csp_pages_get_exactly_the_strict_policy(client_for, alice) -> None:  # noqa: ANN001
    client = client_for(alice)
    for url in ("/cases/", "/accounts/mfa/", "/no-such-page/"):
        response = client.get(url)
        assert policy_of(response) == STRICT, url
        assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_csp_login_and_admin_login_carry_it_before_anyone_signs_in(client) -> None:  # noqa: ANN001
    for url in ("/accounts/login/", "/admin/login/", "/admin/"):
        assert policy_of(client.get(url)) == STRICT, url


@pytest.mark.django_db
def test_csp_api_docs_page_inlines_nothing_under_the_strict_policy(client_for, alice) -> None:  # noqa: ANN001
    client = client_for(alice)
    page = client.get("/api/v1/docs/")
    html = page.content.decode()

    assert page.status_code == 200 and policy_of(page) == STRICT
    assert "<style" not in html and " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is a file
    assert 'href="/static/css/swagger.css"' in html
    start_up = client.get("/api/v1/docs/?script=")
    assert start_up["Content-Type"].startswith("application/javascript") and "SwaggerUIBundle" in start_up.content.decode()
    assert policy_of(client.get("/api/v1/schema/")) == STRICT


@pytest.mark.django_db
def test_csp_api_json_and_its_errors_carry_it(client_for, alice) -> None:  # noqa: ANN001
    client = client_for(alice)
    for url in ("/api/v1/cases/", "/api/v1/no-such-endpoint/"):
        assert policy_of(client.get(url)) == STRICT, url


@pytest.mark.django_db
def test_csp_photos_keep_their_own_sandboxing_policy(client_for, alice, alice_image) -> None:  # noqa: ANN001
    client = client_for(alice)
    for url in (f"/cases/media/images/{alice_image.pk}/", f"/cases/media/thumbnails/{alice_image.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox", url


def test_csp_a_nonce_appears_only_where_a_template_used_it() -> None:
    # The escape hatch for a page that must inline something: `nonce="{{ request.csp_nonce }}"`.
    from csp.middleware import CSPMiddleware

    def view(request: HttpRequest, *, use_nonce: bool) -> HttpResponse:
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>' if use_nonce else "")

    for use_nonce in (False, True):
        request = RequestFactory().get("/")
        response = CSPMiddleware(lambda r, use=use_nonce: view(r, use_nonce=use))(request)
        policy = policy_of(response)
        if use_nonce:
            nonce = request.csp_nonce
            assert policy["script-src"] == policy["style-src"].replace("style", "script") == f"'self' 'nonce-{nonce}'"
            assert f'nonce="{nonce}"' in response.content.decode()
        else:
            assert policy == STRICT


def test_csp_our_templates_inline_no_script_and_no_style() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|<style\b|\sstyle=|\son[a-z]+=")
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 20
