"""The case page's data (`review.selectors.case_page`): a bounded number of queries, reads audited once by the view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case
from dermreview.drafting.models import DraftStatus, FailureKind
from dermreview.drafting.services.identity import model_identity
from dermreview.review.selectors.case_page import case_page
from tests.factories import CaseFactory, DraftFactory, LesionImageFactory

pytestmark = pytest.mark.django_db

# Photos with drafts in each state the page words differently (and one without a draft): the page must not pay per
# photo. None of them shows a draft's text, so no visit writes a `draft.view` row (those are audited reads, one each).
_WITHOUT_TEXT: list[dict[str, Any] | None] = [
    {"status": DraftStatus.QUEUED},
    {"status": DraftStatus.RUNNING},
    {"status": DraftStatus.FAILED, "failure_kind": FailureKind.TIMEOUT, "attempts": 1, "raw_output": ""},
    {"status": DraftStatus.NEEDS_MANUAL_ENTRY, "failure_kind": FailureKind.TRUNCATED, "raw_output": ""},
    None,
]
# A clinician is never shown a draft's text, ready or not.
_FOR_CLINICIAN = [*_WITHOUT_TEXT[:4], {"status": DraftStatus.READY}]


def _case_with_photos(owner: Any, count: int, kinds: list[dict[str, Any] | None]) -> Case:
    case = CaseFactory(organisation=owner.organisation, created_by=owner, status="awaiting_review")
    identity = model_identity()
    for index in range(count):
        image = LesionImageFactory(case=case, uploaded_by=owner)
        kind = kinds[index % len(kinds)]
        if kind is not None:
            DraftFactory(image=image, model_id=identity.model_id, model_revision=identity.model_revision,
                         prompt_version=identity.prompt_version,
                         queued_at=timezone.now() - timedelta(minutes=10 - index), **kind)
    return case


def _queries_for_page(client: Any, case: Case) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("persona", "kinds"), [
    ("alice", _FOR_CLINICIAN),  # clinician: status only
    ("bob", _WITHOUT_TEXT),  # reviewer
    ("carol", _WITHOUT_TEXT),  # auditor: also the case's audit history
])
def test_case_page_queries_do_not_grow_with_the_number_of_photos(persona, kinds, request, client, alice) -> None:  # noqa: ANN001
    client.force_login(request.getfixturevalue(persona))
    one, five = _case_with_photos(alice, 1, kinds), _case_with_photos(alice, 5, kinds)
    _queries_for_page(client, one)  # the first visit creates the kill switch row: not part of the comparison
    assert _queries_for_page(client, five) == _queries_for_page(client, one)


def test_case_page_records_one_case_view_and_one_draft_view_per_shown_draft(client, alice, bob) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status="awaiting_review")
    identity = model_identity()
    drafts = [
        DraftFactory(image=LesionImageFactory(case=case, uploaded_by=alice), model_id=identity.model_id,
                     model_revision=identity.model_revision, prompt_version=identity.prompt_version)
        for _ in range(3)
    ]
    DraftFactory(image=LesionImageFactory(case=case, uploaded_by=alice), status=DraftStatus.QUEUED,
                 queued_at=timezone.now())
    client.force_login(bob)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    views = AuditEvent.objects.filter(action="draft.view", actor=bob).order_by("sequence")
    assert [event.object_id for event in views] == [str(draft.pk) for draft in drafts]
    assert AuditEvent.objects.filter(action="case.view", actor=bob, object_id=str(case.pk)).count() == 1


def test_case_page_selector_reads_without_writing(alice, bob, carol) -> None:  # noqa: ANN001
    case = _case_with_photos(alice, 5, _FOR_CLINICIAN)
    before = AuditEvent.objects.count()
    for user in (alice, bob, carol):
        page = case_page(user=user, case=case)
        assert len(page.images) == 5 and all(image.draft is not None for image in page.images)
    assert AuditEvent.objects.count() == before, "the selector decides nothing about audit: the view records"
    assert case_page(user=alice, case=case).audit_history is None
    assert case_page(user=carol, case=case).audit_history is not None
