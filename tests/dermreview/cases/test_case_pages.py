from __future__ import annotations

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case

pytestmark = pytest.mark.django_db


def test_case_create_by_clinician_records_case_and_audit(client_for, alice):
    client = client_for(alice)
    response = client.post(reverse("cases:new"), {
        "patient_ref": "MRN-0042", "body_site": "back", "lesion_label": "L1 upper back", "clinical_notes": "Changed in size",
    })
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    assert case.organisation == alice.organisation and case.created_by == alice and case.status == "new"
    assert AuditEvent.objects.filter(action="case.create", object_id=str(case.pk), actor=alice).exists()


def test_case_create_rejects_name_like_patient_ref(client_for, alice):
    response = client_for(alice).post(reverse("cases:new"), {"patient_ref": "Jane Smith", "body_site": "back"})
    assert response.status_code == 200
    assert b"never a patient" in response.content
    assert not Case.objects.exists()


def test_case_list_shows_only_own_organisation(client_for, alice, mallory, case_factory):
    mine = case_factory(organisation=alice.organisation, created_by=alice, patient_ref="MINE-1")
    case_factory(organisation=mallory.organisation, created_by=mallory, patient_ref="THEIRS-1")
    content = client_for(alice).get(reverse("cases:list")).content.decode()
    assert mine.patient_ref in content and "THEIRS-1" not in content


def test_case_detail_is_404_for_outsider(client_for, alice_case, mallory):
    assert client_for(mallory).get(reverse("cases:detail", args=[alice_case.pk])).status_code == 404


def test_anonymous_user_is_sent_to_login(client, alice_case):
    response = client.get(reverse("cases:detail", args=[alice_case.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_reviewer_cannot_create_case(client_for, bob):
    assert client_for(bob).post(reverse("cases:new"), {"patient_ref": "X-1", "body_site": "back"}).status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize("status", ["final", "needs_second_review"])
def test_case_edit_is_refused_once_a_finding_is_signed(client_for, alice, case_factory, status):
    case = case_factory(organisation=alice.organisation, created_by=alice, status=status, body_site="back")
    client = client_for(alice)
    page = client.get(reverse("cases:edit", args=[case.pk]))
    assert page.status_code == 200 and b"This case has a signed finding" in page.content
    assert b"Ask a reviewer to amend the finding" in page.content and b'id="amend-flow-link"' in page.content
    assert b">Save</button>" not in page.content
    response = client.post(reverse("cases:edit", args=[case.pk]), {"body_site": "face", "lesion_label": "",
                                                                    "clinical_notes": ""})
    assert response.status_code == 409 and b"This case has a signed finding" in response.content
    case.refresh_from_db()
    assert case.body_site == "back" and not AuditEvent.objects.filter(action="case.update").exists()


def test_case_edit_is_audited_with_old_and_new_values_shown_in_the_history(client_for, alice, carol, case_factory):
    case = case_factory(organisation=alice.organisation, created_by=alice, body_site="back", lesion_label="L1")
    response = client_for(alice).post(reverse("cases:edit", args=[case.pk]), {
        "body_site": "face", "lesion_label": "L1", "clinical_notes": case.clinical_notes})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="case.update")
    assert event.details["changes"] == {"body_site": ["back", "face"]}
    history = client_for(carol).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Body site: Back → Face" in history
