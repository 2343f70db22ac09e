"""The patient's opt-out from model training (`Case.training_opt_out`): consent, not signed context, so it stays
changeable after sign-off; audited with old and new values; shown on the case page and in the API; 404 outside."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from dermreview.cases.services.case import case_update
from tests.dermreview.api.conftest import assert_error
from tests.dermreview.review.review_helpers import ready_case, sign
from tests.factories import api_key_for

EXCLUDED = b"Excluded from model training"


def api(user):  # noqa: ANN001, ANN201 - a token client, as the API tests' fixture makes
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return client


def _signed_case(owner, reviewer):  # noqa: ANN001, ANN202
    case = ready_case(owner)
    sign(case, reviewer)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    return case


def test_training_opt_out_defaults_off_and_is_not_shown(client_for, alice, alice_case):
    assert alice_case.training_opt_out is False
    page = client_for(alice).get(reverse("cases:detail", args=[alice_case.pk]))
    assert page.status_code == 200 and EXCLUDED not in page.content


def test_training_opt_out_changes_after_sign_off_from_the_edit_page_and_is_audited(client_for, alice, bob, carol):
    case = _signed_case(alice, bob)
    client = client_for(alice)
    edit = client.get(reverse("cases:edit", args=[case.pk]))
    # The details are locked by the signed finding; the training choice is not.
    assert b"This case has a signed finding" in edit.content and b'id="training-use-save"' in edit.content
    assert reverse("cases:training_use", args=[case.pk]).encode() in edit.content

    response = client.post(reverse("cases:training_use", args=[case.pk]), {"training_opt_out": "on"})

    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    case.refresh_from_db()
    assert case.training_opt_out is True and case.status == CaseStatus.FINAL
    event = AuditEvent.objects.get(action="case.training_opt_out")
    assert event.actor == alice and event.case_id == case.pk
    assert event.details["changes"] == {"training_opt_out": [False, True]}
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert EXCLUDED in page.content and b"Saved: this case is excluded from model training." in page.content
    history = client_for(carol).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Excluded from model training: False → True" in history
    assert "training_opt_out" not in case.reviews.get().signed_context  # never part of what was signed

    client_for(alice).post(reverse("cases:training_use", args=[case.pk]), {})  # unticked: opted in again
    case.refresh_from_db()
    assert case.training_opt_out is False
    assert AuditEvent.objects.filter(action="case.training_opt_out").latest("sequence").details["changes"] == {
        "training_opt_out": [True, False]}


def test_training_opt_out_unchanged_writes_no_event_and_keeps_the_lock_version(client_for, alice, bob):
    case = _signed_case(alice, bob)
    lock_version = case.lock_version
    client_for(alice).post(reverse("cases:training_use", args=[case.pk]), {})
    assert not AuditEvent.objects.filter(action="case.training_opt_out").exists()
    client_for(alice).post(reverse("cases:training_use", args=[case.pk]), {"training_opt_out": "on"})
    case.refresh_from_db()
    assert case.lock_version == lock_version  # a reviewer's open form does not go stale


def test_training_opt_out_by_the_clinic_administrator(client_for, adam, alice_case):
    client = client_for(adam)
    assert client.get(reverse("cases:training_use", args=[alice_case.pk])).status_code == 200
    assert client.post(reverse("cases:training_use", args=[alice_case.pk]),
                       {"training_opt_out": "on"}).status_code == 302
    alice_case.refresh_from_db()
    assert alice_case.training_opt_out is True
    assert AuditEvent.objects.get(action="case.training_opt_out").actor == adam


@pytest.mark.parametrize(("persona", "status"), [("mallory", 404), ("hana", 404), ("bob", 403), ("carol", 403)])
def test_training_opt_out_refused_to_outsiders_and_other_roles(request, client_for, alice_case, persona, status):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse("cases:training_use", args=[alice_case.pk]), {"training_opt_out": "on"})
    assert response.status_code == status
    alice_case.refresh_from_db()
    assert alice_case.training_opt_out is False and not AuditEvent.objects.filter(action="case.training_opt_out").exists()


def test_training_opt_out_is_not_a_case_detail_edit(alice, alice_case):
    with pytest.raises(ValueError, match="Not editable: training_opt_out"):
        case_update(case=alice_case, user=alice, training_opt_out=True)


def test_training_opt_out_in_the_api(alice, bob, mallory):
    case = _signed_case(alice, bob)
    url = f"/api/v1/cases/{case.pk}/"
    assert api(alice).get(url).json()["training_opt_out"] is False

    response = api(alice).patch(url, {"training_opt_out": True}, format="json")

    assert response.status_code == 200 and response.json()["training_opt_out"] is True
    assert AuditEvent.objects.get(action="case.training_opt_out").details["changes"] == {
        "training_opt_out": [False, True]}
    # A signed case's details stay refused, and the whole request with them: the choice is not half-saved.
    assert_error(api(alice).patch(url, {"training_opt_out": False, "body_site": "face"}, format="json"),
                 409, "case_signed")
    assert Case.objects.get(pk=case.pk).training_opt_out is True
    assert_error(api(mallory).patch(url, {"training_opt_out": False}, format="json"), 404)
    assert_error(api(bob).patch(url, {"training_opt_out": False}, format="json"), 403)
    assert Case.objects.get(pk=case.pk).training_opt_out is True


def test_case_page_links_training_use_for_clinicians_and_clinic_admins_only(client_for, alice, bob, adam, alice_case):
    """The clinician and the clinic's administrator see the "Training use" link on the case page; a reviewer does not."""
    url = f"/cases/{alice_case.pk}/"
    assert b"Training use" in client_for(alice).get(url).content
    assert b"Training use" in client_for(adam).get(url).content
    assert b"Training use" not in client_for(bob).get(url).content
