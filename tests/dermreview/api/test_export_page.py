"""The findings export as an oversight page: the API's stream, for session users, linked from the oversight nav."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import ready_case, sign

pytestmark = pytest.mark.django_db
URL = "findings_export_page"


def _body(response) -> str:  # noqa: ANN001
    return b"".join(response.streaming_content).decode()


def test_export_page_form_is_linked_from_oversight(carol, client_for):
    client = client_for(carol)
    assert f'href="{reverse(URL)}"' in client.get(reverse("oversight:dashboard")).content.decode()
    page = client.get(reverse(URL))
    assert page.status_code == 200 and 'id="export-form"' in page.content.decode()


def test_export_page_streams_csv_for_an_auditor(alice, bob, carol, client_for):
    case = ready_case(alice)
    sign(case, bob)
    response = client_for(carol).get(reverse(URL), {"download": "1", "format": "csv", "include_drafts": "on"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert len(rows) >= 2 and any(str(case.pk) in row for row in rows[1:])
    assert AuditEvent.objects.filter(action="findings.export", details__format="csv").exists()
    assert AuditEvent.objects.filter(action="draft.view", details__via="export").exists()


def test_export_page_streams_json_since_a_date(alice, bob, carol, client_for):
    sign(ready_case(alice), bob)
    response = client_for(carol).get(reverse(URL), {"download": "1", "format": "json", "since": "2000-01-01"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(_body(response))
    assert data["export"]["since"].startswith("2000-01-01") and data["export"]["include_drafts"] is False
    assert len(data["findings"]) == 1


def test_export_page_include_drafts_is_403_for_a_clinician(alice, client_for):
    response = client_for(alice).get(reverse(URL), {"download": "1", "format": "csv", "include_drafts": "on"})
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_export_page_needs_login(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_export_page_until_leaves_out_findings_signed_after_that_day(alice, bob, carol, client_for):
    old, new = ready_case(alice), ready_case(alice)
    sign(old, bob)
    sign(new, bob)
    Review.objects.filter(case=old).update(signed_at=timezone.now() - timedelta(days=10))
    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    response = client_for(carol).get(reverse(URL), {"download": "1", "format": "json", "until": until})
    data = json.loads(_body(response))
    assert [f["case"]["id"] for f in data["findings"]] == [old.pk]
    assert AuditEvent.objects.get(action="findings.export").details["until"].startswith(
        (timezone.localdate() - timedelta(days=4)).isoformat())


def test_export_page_until_before_since_is_shown_as_an_error(carol, client_for):
    response = client_for(carol).get(reverse(URL), {"download": "1", "format": "csv", "since": "2026-03-10",
                                                    "until": "2026-03-01"})
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()
    assert not AuditEvent.objects.filter(action="findings.export").exists()
