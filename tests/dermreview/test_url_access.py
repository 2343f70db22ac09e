"""Every route in the project refuses anonymous callers, except a short, explicit allow-list.

The test walks the URL resolver, so a route added later by anyone is checked without editing this file:
pages redirect to the login form, `/api/` answers 401/403 in JSON, and nothing returns content. The same walk
checks that a password without its second factor opens nothing, and that every response carries a CSP.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case
from tests.mfa import password_login

# Routes an anonymous caller may open. Each one is here on purpose:
ANONYMOUS_GET = {
    "login",  # the login form itself
    "healthz",  # probes from docker-compose and load balancers; says "ok" and nothing else
    "admin:login",  # the admin's own login form
}
ANONYMOUS_POST = {
    "login",  # submitting the login form
    "admin:login",
    "api-token",  # exchanging a username and password for an API token (the API's login)
}
# Routes a signed-in session that owes its second factor may open: the ways in and out, the two MFA steps, health.
MFA_EXEMPT = {"login", "logout", "admin:login", "admin:logout", "healthz", "mfa:enrol", "mfa:verify"}
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
# The policy photos are served with (cases/views/media.py): never a document, whatever the bytes claim.
SANDBOX = "default-src 'none'; sandbox"
# Statuses that carry no data: the login redirect, refusals, not found, wrong method.
REFUSALS = {401, 403, 404, 405}


@dataclass(frozen=True)
class Route:
    name: str
    url: str


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str | None, str, list[str]]]:
    """(qualified route name, or None for an unnamed route; URL format string; parameter names) for every route."""
    for key, entries in resolver.reverse_dict.lists():
        name = f"{namespace}{key}" if isinstance(key, str) else None
        for possibilities, _pattern, _defaults, _converters in entries:
            for url_format, params in possibilities:
                yield name, prefix + url_format, params
    for ns, (ns_prefix, sub_resolver) in resolver.namespace_dict.items():
        yield from _walk(sub_resolver, prefix + ns_prefix, f"{namespace}{ns}:")


def _candidates(param: str, url_format: str, objects: dict[str, list[str]]) -> list[str]:
    """Values to try for one parameter: an existing object's key of the kind the URL names, then fallbacks."""
    segment = url_format.split(f"%({param})s")[0].rstrip("/").rsplit("/", 1)[-1]
    hint = f"{segment} {param}".lower()
    for kind in ("image", "draft", "review", "user", "content_type", "app_label", "case"):
        if kind.replace("_", "") in hint.replace("_", ""):
            return [*objects[kind], *objects["fallback"]]
    return [*objects["case"], *objects["fallback"]]


def _routes(objects: dict[str, list[str]]) -> tuple[list[Route], list[str]]:
    routes: dict[str, Route] = {}
    unbuildable = []
    for name, url_format, params in _walk(get_resolver()):
        options = [_candidates(p, url_format, objects) for p in params]
        for values in itertools.islice(itertools.product(*options), 200):
            url = "/" + (url_format % dict(zip(params, values, strict=True)) if params else url_format)
            try:
                match = resolve(url)
            except Resolver404:
                continue
            # A value that lands on another route (e.g. the API's catch-all 404) does not count for this one.
            if name is None or match.view_name == name:
                routes.setdefault(url, Route(name=match.view_name, url=url))
                break
        else:
            unbuildable.append(f"{name} ({url_format})")
    return sorted(routes.values(), key=lambda r: r.url), unbuildable


@pytest.fixture
def objects(alice_case, alice_image, draft_factory, review_factory) -> dict[str, list[str]]:  # noqa: ANN001
    draft = draft_factory(image=alice_image)
    review = review_factory(case=alice_case, reviewer=alice_case.created_by)
    return {
        "case": [str(alice_case.pk)],
        "image": [str(alice_image.pk)],
        "draft": [str(draft.pk)],
        "review": [str(review.pk)],
        "user": [str(alice_case.created_by_id)],
        "content_type": [str(ContentType.objects.get_for_model(Case).pk)],
        "app_label": ["cases", "audit", "accounts", "findings", "auth", "oversight", "authtoken", "axes"],
        "fallback": [str(alice_case.pk), "1", "x", "json", "cases", "case", "a/b",
                     "00000000-0000-4000-8000-000000000000"],
    }


def _is_login_redirect(response: object) -> bool:
    return response.status_code in (301, 302) and response["Location"].startswith(LOGIN_PATHS)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_url_walk_finds_the_routes_of_every_area(objects: dict[str, list[str]]) -> None:
    # Guards the walk itself: if it found nothing, the access tests below would pass vacuously.
    routes, unbuildable = _routes(objects)
    urls = {route.url for route in routes}

    assert unbuildable == [], f"cannot build a URL for: {unbuildable} (teach _candidates the parameter)"
    assert "/cases/" in urls
    assert f"/cases/{objects['case'][0]}/" in urls
    assert "/admin/audit/auditevent/" in urls
    assert "/healthz" in urls
    assert len(routes) > 40


@pytest.mark.django_db
def test_url_every_route_refuses_anonymous_get(objects: dict[str, list[str]]) -> None:
    routes, _ = _routes(objects)
    client = Client()
    leaks = []
    for route in routes:
        response = client.get(route.url)
        if route.name in ANONYMOUS_GET:
            continue
        if route.name == "api-docs":  # a browser page: the login form, or a bare refusal
            ok = _is_login_redirect(response) or response.status_code in (401, 403)
        elif route.url.startswith("/api/"):
            ok = response.status_code in REFUSALS and response.get("Content-Type", "").startswith("application/json")
        else:
            ok = _is_login_redirect(response) or response.status_code in REFUSALS
        if not ok:
            leaks.append(f"{route.url} ({route.name}) -> {response.status_code} {response.get('Location', '')}")

    assert leaks == []


@pytest.mark.django_db
def test_url_api_routes_answer_anonymous_callers_401(objects: dict[str, list[str]]) -> None:
    routes, _ = _routes(objects)
    api = [r for r in routes if r.url.startswith("/api/") and r.name not in ("api-not-found", "api-docs")]
    assert api, "no API routes found"
    client = Client()
    wrong = []
    for route in api:
        response = client.get(route.url)
        if route.name in ANONYMOUS_GET or response.status_code == 405:
            continue
        if response.status_code != 401:
            wrong.append(f"{route.url} ({route.name}) -> {response.status_code}")

    assert wrong == []


@pytest.mark.django_db
def test_url_every_route_refuses_anonymous_post_and_writes_nothing(objects: dict[str, list[str]]) -> None:
    routes, _ = _routes(objects)
    client = Client()
    cases_before = Case.objects.count()
    leaks = []
    for route in routes:
        if route.name in ANONYMOUS_POST:
            continue
        response = client.post(route.url, {})
        ok = _is_login_redirect(response) or response.status_code in REFUSALS
        if not ok:
            leaks.append(f"POST {route.url} ({route.name}) -> {response.status_code}")

    assert leaks == []
    assert Case.objects.count() == cases_before
    # Only log-in failures may be recorded for an anonymous caller; nothing acted on any object.
    assert not AuditEvent.objects.exclude(action="auth.login_failed").exists()


@pytest.mark.django_db
def test_url_allow_listed_routes_exist_and_say_nothing_sensitive(client: Client) -> None:
    assert client.get("/accounts/login/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200
    assert set(health.json()) == {"status", "database"}
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.django_db
def test_url_api_schema_and_docs_need_a_login(client: Client) -> None:
    assert client.get("/api/v1/schema/").status_code == 401
    docs = client.get("/api/v1/docs/")
    assert _is_login_redirect(docs) or docs.status_code == 401
    assert b"swagger" not in docs.content.lower()


def test_url_allow_lists_name_real_routes() -> None:
    names = {name for name, _, _ in _walk(get_resolver()) if name}
    for name in ANONYMOUS_GET | ANONYMOUS_POST:
        assert name in names, name
    assert not any(re.search(r"password_reset", name) for name in names)


@pytest.mark.django_db
def test_url_a_password_without_second_factor_opens_nothing(objects: dict[str, list[str]], bob) -> None:  # noqa: ANN001
    routes, _ = _routes(objects)
    client = Client()
    password_login(client, bob)  # a reviewer: the second factor is required, and bob has not enrolled yet
    cases_before = Case.objects.count()
    leaks = []
    for route in routes:
        for method, public in (("get", ANONYMOUS_GET), ("post", ANONYMOUS_POST)):
            if route.name in MFA_EXEMPT | public:
                continue
            response = getattr(client, method)(route.url)
            if route.url.startswith("/api/") and route.name != "api-docs":
                ok = response.status_code in REFUSALS and response["Content-Type"].startswith("application/json")
            else:
                ok = (response.status_code in (301, 302) and response["Location"].startswith("/accounts/mfa/enrol/")
                      or response.status_code in REFUSALS)
            if not ok:
                leaks.append(f"{method.upper()} {route.url} ({route.name}) -> {response.status_code}")

    assert leaks == []
    assert Case.objects.count() == cases_before
    assert client.get("/cases/")["Location"] == "/accounts/mfa/enrol/?next=%2Fcases%2F"  # still signed in


@pytest.mark.django_db
def test_url_every_response_to_a_signed_in_user_carries_a_csp(objects: dict[str, list[str]], user_factory) -> None:  # noqa: ANN001
    routes, _ = _routes(objects)
    clinic = Case.objects.get(pk=objects["case"][0]).organisation
    user = user_factory(organisation=clinic, roles=["clinician", "reviewer", "auditor", "clinic_admin", "operator"])
    client = Client(raise_request_exception=False)  # a crash's 500 page must carry the policy too
    client.force_login(user)  # past the second factor (tests/conftest.py)
    urls = [route.url for route in routes] + ["/no-such-page/", "/api/v1/no-such-endpoint/"]
    photo = f"/cases/media/images/{objects['image'][0]}/"
    for required in ("/admin/", "/admin/login/", "/api/v1/docs/", "/api/v1/schema/", photo):
        assert required in urls, required

    missing = []
    for url in urls:
        response = client.get(url)
        policy = response.get("Content-Security-Policy", "")
        photo_policy = response.get("Content-Type", "").startswith("image/") and policy == SANDBOX
        if "frame-ancestors 'none'" not in policy and not photo_policy:
            missing.append(f"{url} -> {response.status_code}: {policy or 'no CSP'}")

    assert missing == []
    assert client.get(photo)["Content-Security-Policy"] == SANDBOX
