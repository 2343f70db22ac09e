"""The case resource: filters, cursor pagination, a constant number of queries per page, create and edit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from tests.dermreview.api.conftest import assert_error
from tests.factories import CaseFactory, LesionImageFactory, UserFactory

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_case_list_filters_by_status_site_label_and_created_range(api, alice) -> None:  # noqa: ANN001
    org = alice.organisation
    back = CaseFactory(organisation=org, created_by=alice, body_site="back", lesion_label="L1 left shoulder")
    face = CaseFactory(organisation=org, created_by=alice, body_site="face", status=CaseStatus.AWAITING_REVIEW)
    old = CaseFactory(organisation=org, created_by=alice, body_site="back", lesion_label="L1 left shoulder")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    client = api(alice)

    assert _ids(client.get("/api/v1/cases/", {"status": "awaiting_review"})) == [face.pk]
    assert _ids(client.get("/api/v1/cases/", {"body_site": "back"})) == [back.pk, old.pk]
    assert _ids(client.get("/api/v1/cases/", {"lesion_label": "L1 left shoulder"})) == [back.pk, old.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert set(_ids(client.get("/api/v1/cases/", {"created_after": since}))) == {back.pk, face.pk}
    assert _ids(client.get("/api/v1/cases/", {"created_before": since})) == [old.pk]


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "closed"}, "status"),
    ({"body_site": "elbow"}, "body_site"),
    ({"created_after": "yesterday"}, "created_after"),
    ({"created_after": "2025-02-01T00:00:00Z", "created_before": "2025-01-01T00:00:00Z"}, "created_before"),
    ({"page_size": "500"}, "page_size"),
    ({"page_size": "ten"}, "page_size"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
def test_case_list_rejects_bad_filters_with_the_field_named(api, alice, params, field) -> None:  # noqa: ANN001
    body = assert_error(api(alice).get("/api/v1/cases/", params), 400, "invalid")
    assert list(body["fields"]) == [field]


def test_case_list_cursor_pages_walk_every_case_once_newest_first(api, alice) -> None:  # noqa: ANN001
    cases = [CaseFactory(organisation=alice.organisation, created_by=alice) for _ in range(7)]
    client = api(alice)
    seen: list[int] = []
    url = "/api/v1/cases/?page_size=3"
    while url:
        page = client.get(url)
        seen += _ids(page)
        url = page.json()["next"]
    assert seen == [c.pk for c in reversed(cases)]


def test_case_list_query_count_does_not_grow_with_page_size(api, alice, bob) -> None:  # noqa: ANN001
    for i in range(60):
        case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.AWAITING_REVIEW,
                           claimed_by=bob if i % 2 else None, claim_expires_at=timezone.now() + timedelta(hours=1))
        LesionImageFactory(case=case, uploaded_by=alice)
    client = api(alice)
    client.get("/api/v1/cases/?page_size=1")  # token-use audit and role lookups happen once, outside the counts

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/cases/?page_size={page_size}")
        assert len(response.json()["results"]) == page_size
        return len(captured)

    small, large = queries(5), queries(50)
    assert small == large, (small, large)
    assert large <= 4


def test_case_list_counts_images_and_shows_claims(api, alice, bob) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.AWAITING_REVIEW,
                       claimed_by=bob, claim_expires_at=timezone.now() + timedelta(minutes=10))
    LesionImageFactory.create_batch(2, case=case, uploaded_by=alice)
    row = api(alice).get("/api/v1/cases/").json()["results"][0]
    assert row["image_count"] == 2
    assert row["claimed_by"] == "bob"
    assert row["display_status"] == "In review"


def test_case_create_through_the_service_and_audited(api, alice) -> None:  # noqa: ANN001
    response = api(alice).post("/api/v1/cases/", {
        "patient_ref": "MRN-0042", "body_site": "forearm", "lesion_label": "L2", "clinical_notes": "Grew in 3 months.",
    }, format="json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.organisation, case.created_by, case.status) == (alice.organisation, alice, CaseStatus.NEW)
    assert AuditEvent.objects.filter(action="case.create", case_id=case.pk, actor=alice).exists()


def test_case_create_rejects_a_name_as_patient_reference_and_stores_nothing(api, alice) -> None:  # noqa: ANN001
    body = assert_error(api(alice).post("/api/v1/cases/", {"patient_ref": "Jane Example", "body_site": "back"},
                                        format="json"), 400, "invalid")
    assert "pseudonymous" in body["fields"]["patient_ref"][0]
    assert not Case.objects.exists()


def test_case_edit_changes_clinical_context_only(api, alice) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice)
    case_notes_before = case.clinical_notes
    client = api(alice)
    response = client.patch(f"/api/v1/cases/{case.pk}/", {"clinical_notes": "Bleeds when scratched.",
                                                         "status": "final"}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.clinical_notes == "Bleeds when scratched."
    assert case.status == CaseStatus.NEW  # status is not an editable field: it is ignored, never written
    assert AuditEvent.objects.filter(action="case.update", case_id=case.pk).get().details == {
        "fields": ["clinical_notes"], "changes": {"clinical_notes": [case_notes_before, "Bleeds when scratched."]}}
    assert_error(client.patch(f"/api/v1/cases/{case.pk}/", {"body_site": "elbow"}, format="json"), 400, "invalid")


@pytest.mark.parametrize("status", [CaseStatus.FINAL, CaseStatus.NEEDS_SECOND_REVIEW])
def test_case_edit_is_refused_once_a_finding_is_signed(api, alice, status) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=status, body_site="back")
    error = assert_error(api(alice).patch(f"/api/v1/cases/{case.pk}/", {"body_site": "face"}, format="json"),
                         409, "case_signed")
    assert "signed finding" in error["detail"] and "amend" in error["detail"]
    case.refresh_from_db()
    assert case.body_site == "back" and not AuditEvent.objects.filter(action="case.update").exists()


def test_case_retrieve_is_audited_as_a_view(api, carol, alice_case) -> None:  # noqa: ANN001
    assert api(carol).get(f"/api/v1/cases/{alice_case.pk}/").status_code == 200
    event = AuditEvent.objects.get(action="case.view", case_id=alice_case.pk)
    assert event.actor == carol and event.details == {"via": "api"}


def test_case_create_by_admin_of_the_clinic(api, alice) -> None:  # noqa: ANN001
    admin = UserFactory(username="root", organisation=alice.organisation, roles=["admin"])
    assert api(admin).post("/api/v1/cases/", {"patient_ref": "PT-A1", "body_site": "scalp"},
                           format="json").status_code == 201
