"""Amending a final finding from the pages: "Start amendment" claims the case, time on task runs from the claim,
and while an amendment awaits its second reviewer the signed finding stays the case's current one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import MELANOMA, ready_case, sign

pytestmark = pytest.mark.django_db


def _amend_data(form, **changes: str) -> dict[str, str]:  # noqa: ANN001
    return {**{k: form.initial[k] for k in FINDING_FIELDS}, "lock_version": form.initial["lock_version"],
            "opened": form.initial["opened"], "attestation": "on", "reason": "Second look", **changes}


def test_amend_page_asks_to_start_the_amendment_and_times_it_from_the_claim(client, alice, bob, dave):
    case = ready_case(alice)
    original = sign(case, bob)
    client.force_login(dave)
    url = reverse("review:amend", args=[original.pk])
    page = client.get(url)
    assert b'id="start-amendment-button"' in page.content and b'id="amend-form"' not in page.content
    form = page.context["form"]
    refused = client.post(url, _amend_data(form, texture="scaly"))
    assert refused.status_code == 409 and b"Claim the case first" in refused.content
    assert not Review.objects.filter(version=2).exists()

    started = client.post(url, {"start": "1"})
    assert started.status_code == 302 and started.url == url
    case.refresh_from_db()
    assert case.claimed_by == dave and case.status == CaseStatus.FINAL
    assert b'id="amend-form"' in client.get(url).content
    Case.objects.filter(pk=case.pk).update(claimed_at=timezone.now() - timedelta(seconds=40))
    response = client.post(url, _amend_data(form, texture="scaly"))
    amended = Review.objects.get(version=2)
    assert response.status_code == 302 and 39_000 <= amended.time_on_task_ms <= 90_000
    case.refresh_from_db()
    assert case.claimed_by is None and case.status == CaseStatus.FINAL
    event = AuditEvent.objects.get(action="review.amend")
    assert event.details["changes"] == {"texture": [original.texture, "scaly"]}


def test_pending_amendment_keeps_the_signed_finding_shown_then_marks_it_superseded(client, alice, bob, dave):
    case = ready_case(alice)
    original = sign(case, bob)
    client.force_login(bob)
    url = reverse("review:amend", args=[original.pk])
    form = client.get(url).context["form"]
    client.post(url, {"start": "1"})
    assert client.post(url, _amend_data(form, **MELANOMA)).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW

    client.force_login(alice)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    panel = body.split('id="case-finding"')[1].split("</section>")[0]
    assert "There is no final finding yet" not in panel
    assert 'id="final-finding"' in panel and original.summary in panel and "version 1" in panel
    assert "Amendment in progress" in panel and MELANOMA["summary"] not in panel

    sign(case, dave, fields=MELANOMA, confirmed=FINDING_FIELDS)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    panel = body.split('id="case-finding"')[1].split("</section>")[0]
    assert MELANOMA["summary"] in panel and "Amendment in progress" not in panel
    assert "supersedes version 1" in panel and "version 2" in panel


@pytest.mark.parametrize(("fields", "status", "said"), [
    ({"texture": "scaly"}, CaseStatus.FINAL, "Amended. The new version is final and supersedes the previous one."),
    (MELANOMA, CaseStatus.NEEDS_SECOND_REVIEW,
     "Amended. The new version names a high-risk class: it now needs a second, different reviewer. Until then the "
     "previous version stays the current finding."),
])
def test_the_amendment_message_says_what_the_amendment_left_the_case_in(client, alice, bob, fields, status, said):
    case = ready_case(alice)
    original = sign(case, bob)
    client.force_login(bob)
    url = reverse("review:amend", args=[original.pk])
    form = client.get(url).context["form"]
    client.post(url, {"start": "1"})
    response = client.post(url, _amend_data(form, **fields))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == status
    assert [str(m) for m in get_messages(response.wsgi_request)] == [said]
