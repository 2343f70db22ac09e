from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dermreview.audit.services.events import audit_log
from dermreview.oversight.models import AlarmStatus
from dermreview.oversight.services.alarms import alarms_evaluate
from tests.dermreview.oversight.conftest import MINILM, bulk_reviews, bulk_scores, snapshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIELDS = ("lesion_type", "color", "symmetry", "borders", "texture", "summary")
PAGES = [
    ("oversight:dashboard", []), ("oversight:alarms", []), ("oversight:audit", []),
    ("oversight:governance", []), ("oversight:chart", ["weekly-agreement"]), ("oversight:chart", ["distribution"]),
    ("oversight:chart", ["reviewer-acceptance"]), ("oversight:audit_export", []), ("oversight:accuracy", []),
]


def _scored(clinic, reviewer, count, *, model="m/one", blind=False):  # noqa: ANN001, ANN202
    reviews = bulk_reviews(organisation=clinic, reviewer=reviewer, count=count, time_on_task_ms=5_000,
                           draft_snapshot=snapshot(model, "r1", "p1"), all_unchanged=lambda i: i % 3 != 0)
    for n, field in enumerate(FIELDS):
        bulk_scores(reviews, field=field, f1=lambda i, n=n: 0.80 + ((i + n) % 20) / 100)
    return reviews


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_oversight_pages_refuse_clinicians_and_reviewers(client_for, alice, bob, name, args):
    url = reverse(name, args=args)
    assert client_for(alice).get(url).status_code == 403
    assert client_for(bob).get(url).status_code == 403


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_oversight_pages_send_anonymous_users_to_login(client, name, args, db):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_oversight_pages_open_for_auditors_and_admins(client_for, carol, clinic, name, args):
    assert client_for(carol).get(reverse(name, args=args)).status_code == 200
    admin = UserFactory(username="ada", organisation=clinic, roles=["admin"])
    assert client_for(admin).get(reverse(name, args=args)).status_code == 200


def test_oversight_post_endpoints_refuse_reviewers(client_for, bob, clinic):
    rita = UserFactory(username="rita", organisation=clinic, roles=["reviewer"])
    bulk_reviews(organisation=clinic, reviewer=rita, count=50, time_on_task_ms=5_000)
    alarm = alarms_evaluate(organisation_id=clinic.pk).opened[0]
    client = client_for(bob)
    assert client.post(reverse("oversight:alarm_acknowledge", args=[alarm.pk]), {"note": "x"}).status_code == 403
    assert client.post(reverse("oversight:alarm_resolve", args=[alarm.pk]), {"note": "x"}).status_code == 403
    assert client.post(reverse("oversight:audit_verify")).status_code == 403
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN


def test_dashboard_shows_the_model_card_table_charts_and_published_figures(client_for, carol, bob, clinic):
    _scored(clinic, bob, 12)
    response = client_for(carol).get(reverse("oversight:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="list model-card"' in html and "m/one @ r1" in html
    assert "0.9449" in html and "only when the same scorer is used" in html
    for chart in ("weekly-agreement", "distribution", "reviewer-acceptance"):
        assert reverse("oversight:chart", args=[chart]) in html
    assert html.count('alt="') >= 3 and "Blind-first influence" in html


def test_dashboard_rejects_unknown_filter_values_with_a_clear_error(client_for, carol, bob, clinic):
    _scored(clinic, bob, 3)
    response = client_for(carol).get(reverse("oversight:dashboard"), {"model_id": "not/ours", "date_from": "2025-02-30"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html and "Enter a valid date" in html
    assert 'class="list model-card"' not in html


@pytest.mark.parametrize("chart", ["weekly-agreement", "distribution", "reviewer-acceptance"])
def test_chart_endpoints_return_svg_images(client_for, carol, bob, clinic, chart):
    _scored(clinic, bob, 8)
    response = client_for(carol).get(reverse("oversight:chart", args=[chart]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<?xml") and b"<svg" in response.content and len(response.content) > 2000


def test_chart_with_no_data_still_renders_a_readable_image(client_for, carol):
    response = client_for(carol).get(reverse("oversight:chart", args=["weekly-agreement"]))
    assert response["Content-Type"] == "image/svg+xml" and b"No scored sign-offs" in response.content


def test_chart_rejects_bad_filters_and_unknown_charts(client_for, carol):
    client = client_for(carol)
    bad = client.get(reverse("oversight:chart", args=["distribution"]), {"reviewer": "abc"})
    assert bad.status_code == 400 and b"reviewer" in bad.content
    assert client.get(reverse("oversight:chart", args=["pie"])).status_code == 404


def test_outsider_sees_none_of_another_clinics_figures_or_events(client_for, clinic, mallory, carol):
    secret_reviewer = UserFactory(username="zebediah", organisation=clinic, roles=["reviewer"])
    _scored(clinic, secret_reviewer, 50, model="clinic/secret-model")
    alarms_evaluate(organisation_id=clinic.pk)
    audit_log(action="case.view", actor=carol, organisation=clinic, details={"marker": "riverside-only"})
    client = client_for(mallory)
    pages = [client.get(reverse(name, args=args)) for name, args in PAGES if name != "oversight:audit_export"]
    export = b"".join(client.get(reverse("oversight:audit_export")).streaming_content)
    for response in pages:
        body = response.content
        assert b"zebediah" not in body and b"clinic/secret-model" not in body and b"riverside-only" not in body
    assert b"riverside-only" not in export and b"zebediah" not in export
    # ...while the clinic's own auditor does see them.
    own = client_for(carol)
    assert b"clinic/secret-model" in own.get(reverse("oversight:dashboard")).content
    assert b"zebediah" in own.get(reverse("oversight:chart", args=["reviewer-acceptance"])).content


def _count_queries(client, url):  # noqa: ANN001, ANN202
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_does_not_grow_with_the_number_of_reviews(client_for, carol, bob, dave, clinic):
    client = client_for(carol)
    url = reverse("oversight:dashboard")
    _scored(clinic, bob, 5)
    _scored(clinic, dave, 5)
    client.get(url)  # warm-up: session, content types
    few = _count_queries(client, url)
    _scored(clinic, bob, 500)
    _scored(clinic, dave, 490)
    many = _count_queries(client, url)
    assert few == many, f"{few} queries with 10 reviews, {many} with 1,000"


def test_alarm_acknowledge_view_requires_note_then_records_it(client_for, carol, clinic):
    rita = UserFactory(username="rita", organisation=clinic, roles=["reviewer"])
    bulk_reviews(organisation=clinic, reviewer=rita, count=50, time_on_task_ms=5_000)
    alarm = alarms_evaluate(organisation_id=clinic.pk).opened[0]
    client = client_for(carol)
    url = reverse("oversight:alarm_acknowledge", args=[alarm.pk])

    response = client.post(url, {"note": "", "next": "/oversight/"}, follow=True)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN and b"A note is required" in response.content

    response = client.post(url, {"note": "Checked her last ten cases: all sound.", "next": "https://evil.example/"})
    alarm.refresh_from_db()
    assert response.status_code == 302 and response.url == reverse("oversight:alarms")
    assert alarm.status == AlarmStatus.ACKNOWLEDGED and alarm.note == "Checked her last ten cases: all sound."


def test_alarms_page_lists_reviewer_behaviour(client_for, carol, clinic):
    rita = UserFactory(username="rita", organisation=clinic, roles=["reviewer"])
    bulk_reviews(organisation=clinic, reviewer=rita, count=50, time_on_task_ms=5_000)
    alarms_evaluate(organisation_id=clinic.pk)
    html = client_for(carol).get(reverse("oversight:alarms")).content.decode()
    assert "rita" in html and "looks like rubber-stamping" in html and "Possible rubber-stamping" in html


def test_nav_link_shows_for_auditors_only(client_for, carol, alice, alice_case):
    link = f'href="{reverse("oversight:dashboard")}"'
    assert link in client_for(carol).get(reverse("cases:list")).content.decode()
    assert link not in client_for(alice).get(reverse("cases:list")).content.decode()


def test_scorer_filter_limits_the_model_card_to_one_scorer(client_for, carol, bob, clinic):
    reviews = _scored(clinic, bob, 4)
    bulk_scores(reviews, field="texture", f1=0.5, scorer=("roberta-large", 17))
    client = client_for(carol)
    everything = client.get(reverse("oversight:dashboard")).content.decode()
    assert "roberta-large (17 layers)" in everything and f"{MINILM[0]} ({MINILM[1]} layers)" in everything
    only = client.get(reverse("oversight:dashboard"), {"scorer": "roberta-large|17"}).content.decode()
    assert only.count('class="card-group"') == 1 and "Scorer roberta-large (17 layers)" in only


def test_chart_cache_never_serves_a_stale_chart(client_for, carol, bob, dave, clinic):
    _scored(clinic, bob, 3)
    client = client_for(carol)
    url = reverse("oversight:chart", args=["reviewer-acceptance"])
    first = client.get(url).content
    assert client.get(url).content == first and b"dave" not in first
    _scored(clinic, dave, 3)
    assert b"dave" in client.get(url).content


def test_chart_labels_with_dollar_signs_are_not_read_as_maths(client_for, carol, bob, clinic):
    reviews = _scored(clinic, bob, 3)
    # As mathtext this is a syntax error (unknown command, unbalanced brace): the chart would fail to render.
    bulk_scores(reviews, field="texture", f1=0.9, scorer=("odd$\\nosuchcmd{$", 2))
    response = client_for(carol).get(reverse("oversight:chart", args=["weekly-agreement"]),
                                     {"scorer": "odd$\\nosuchcmd{$|2"})
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
