"""The Django admin, scoped: a clinic's administrator sees and changes their own clinic only; an operator (superuser)
manages users and organisations of every clinic but sees no patient data.

`adam` administers alice's clinic (Riverside); `hana` administers mallory's (Hilltop); `oscar` is the operator.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.urls import reverse

from dermreview.accounts.models import User
from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log
from tests.factories import (
    AgreementScoreFactory,
    BlindFindingFactory,
    CaseFactory,
    LesionImageFactory,
    ReviewFactory,
    UserFactory,
    api_key_for,
)

pytestmark = pytest.mark.django_db


def _attempt(username: str) -> AccessAttempt:
    return AccessAttempt.objects.create(username=username, ip_address="10.0.0.9", user_agent="curl", http_accept="*/*",
                                        path_info="/accounts/login/", get_data="", post_data="", failures_since_start=3)


@pytest.fixture
def hilltop(mallory: Any) -> dict[str, Any]:
    """Mallory's clinic, with one of everything the admin lists."""
    case = CaseFactory(organisation=mallory.organisation, created_by=mallory, patient_ref="HILLTOP-SECRET-1")
    image = LesionImageFactory(case=case, uploaded_by=mallory)
    review = ReviewFactory(case=CaseFactory(organisation=mallory.organisation, created_by=mallory,
                                            patient_ref="HILLTOP-SECRET-2"), reviewer=mallory)
    api_key_for(mallory)
    return {
        "case": case, "image": image, "review": review,
        "blind": BlindFindingFactory(case=case, reviewer=mallory),
        "score": AgreementScoreFactory(review=review),
        "event": audit_log(action="case.view", actor=mallory, obj=case, details={"note": "hilltop"}),
        "config_event": audit_log(action="admin.change", actor=mallory, obj=mallory, details={"changes": {}}),
        "attempt": _attempt("mallory"),
    }


@pytest.fixture
def riverside_admin(clinic: Any) -> Any:
    """Alice's clinic's administrator who is also its auditor: sees every kind of row, of Riverside only."""
    return UserFactory(username="ruth", organisation=clinic, roles=["clinic_admin", "auditor"])


def _change_urls(hilltop: dict[str, Any], mallory: Any) -> list[str]:
    rows = [("accounts_user", mallory), ("accounts_organisation", mallory.organisation),
            ("cases_case", hilltop["case"]), ("cases_lesionimage", hilltop["image"]),
            ("review_review", hilltop["review"]), ("review_blindfinding", hilltop["blind"]),
            ("review_agreementscore", hilltop["score"]), ("audit_auditevent", hilltop["event"]),
            ("audit_auditevent", hilltop["config_event"]), ("api_apitoken", mallory.api_token),
            ("axes_accessattempt", hilltop["attempt"])]
    return [reverse(f"admin:{name}_change", args=[obj.pk]) for name, obj in rows]


CHANGELISTS = ["accounts_user", "accounts_organisation", "cases_case", "cases_lesionimage", "review_review",
               "review_blindfinding", "review_agreementscore", "audit_auditevent", "api_apitoken",
               "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog", "oversight_alarm"]


def test_clinic_admin_lists_nothing_of_another_clinic_anywhere(client_for, riverside_admin, alice_case, hilltop):
    client = client_for(riverside_admin)
    for name in CHANGELISTS:
        page = client.get(reverse(f"admin:{name}_changelist"))
        assert page.status_code == 200, name
        html = page.content.decode()
        # Neither the rows nor a filter choice nor a search result names the other clinic.
        for leak in ("mallory", "Hilltop", "HILLTOP-SECRET", hilltop["image"].sha256):
            assert leak not in html, (name, leak)
    cases = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert alice_case.patient_ref in cases
    found = client.get(reverse("admin:accounts_user_changelist"), {"q": "mallory"})
    assert found.context["cl"].result_count == 0


def test_clinic_admin_cannot_open_another_clinics_rows(client_for, riverside_admin, hilltop, mallory):
    client = client_for(riverside_admin)
    for url in _change_urls(hilltop, mallory):
        response = client.get(url)
        # Django's admin answers a row outside the queryset like a missing one: back to the index, nothing shown.
        assert response.status_code == 302 and response["Location"] == reverse("admin:index"), url
    assert client.get(reverse("admin:accounts_user_history", args=[mallory.pk])).status_code == 302
    assert client.get(reverse("admin:accounts_user_delete", args=[mallory.pk])).status_code == 403  # nobody deletes
    assert client.get(reverse("admin:auth_user_password_change", args=[mallory.pk])).status_code == 404


def test_clinic_admin_cannot_change_another_clinics_user_or_password(client_for, adam, mallory):
    client = client_for(adam)
    before = User.objects.get(pk=mallory.pk).password

    client.post(reverse("admin:accounts_user_change", args=[mallory.pk]),
                {"username": "mallory", "email": "owned@example.org", "is_active": "on"})
    client.post(reverse("admin:auth_user_password_change", args=[mallory.pk]),
                {"password1": "a new passphrase for mallory 9", "password2": "a new passphrase for mallory 9"})

    mallory.refresh_from_db()
    assert mallory.email == "mallory@example.org" and mallory.password == before
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def _user_form(user: Any, **changes: Any) -> dict[str, Any]:
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "groups": [g.pk for g in user.groups.all()], "is_active": "on"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_clinic_admin_cannot_grant_superuser_or_staff_or_move_a_user(client_for, adam, bob, other_clinic):
    client = client_for(adam)
    page = client.get(reverse("admin:accounts_user_change", args=[bob.pk])).content.decode()
    for field in ("is_superuser", "is_staff", "organisation", "user_permissions", "password"):
        assert f'name="{field}"' not in page, field

    response = client.post(reverse("admin:accounts_user_change", args=[bob.pk]), _user_form(
        bob, is_superuser="on", is_staff="on", organisation=other_clinic.pk, user_permissions=[1]))

    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.is_superuser, bob.is_staff, bob.organisation_id) == (False, False, adam.organisation_id)
    assert not bob.user_permissions.exists()


def test_clinic_admin_may_give_clinic_roles_only(client_for, adam, bob):
    Group.objects.create(name="django-permissions-group")
    client = client_for(adam)
    form = client.get(reverse("admin:accounts_user_change", args=[bob.pk])).context["adminform"].form

    assert sorted(form.fields["groups"].queryset.values_list("name", flat=True)) == [
        "auditor", "clinic_admin", "clinician", "reviewer"]
    clinic_admin = Group.objects.get(name="clinic_admin")
    client.post(reverse("admin:accounts_user_change", args=[bob.pk]),
                _user_form(bob, groups=[clinic_admin.pk, *bob.groups.values_list("pk", flat=True)]))
    bob.refresh_from_db()
    # A clinic administrator needs the admin: staff follows the role, superuser never does.
    assert bob.is_staff and not bob.is_superuser


def test_clinic_admin_adds_users_to_their_own_clinic_only(client_for, adam, other_clinic):
    reviewer = Group.objects.get(name="reviewer")
    response = client_for(adam).post(reverse("admin:accounts_user_add"), {
        "username": "newbie", "usable_password": "true", "password1": "a long enough passphrase 1",
        "password2": "a long enough passphrase 1", "groups": [reviewer.pk], "organisation": other_clinic.pk,
        "is_superuser": "on",
    })

    assert response.status_code == 302, response.content[:2000]
    newbie = User.objects.get(username="newbie")
    assert (newbie.organisation_id, newbie.is_superuser, newbie.is_staff) == (adam.organisation_id, False, False)
    assert list(newbie.groups.values_list("name", flat=True)) == ["reviewer"]


def test_clinic_admin_cannot_touch_an_operator_account_in_their_clinic(client_for, adam, clinic, user_factory):
    root = user_factory(username="root", organisation=clinic, roles=["admin"])  # an earlier, superuser admin
    client = client_for(adam)

    page = client.get(reverse("admin:accounts_user_change", args=[root.pk]))
    refused = client.post(reverse("admin:auth_user_password_change", args=[root.pk]),
                          {"password1": "taken over passphrase 1", "password2": "taken over passphrase 1"})

    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only
    assert refused.status_code == 403
    assert User.objects.get(pk=root.pk).check_password("correct horse battery staple")


def test_clinic_admin_sees_and_unlocks_only_their_own_users_lockouts(client_for, adam, bob, hilltop):
    own = _attempt("bob")
    client = client_for(adam)

    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    client.post(reverse("admin:axes_accessattempt_changelist"),
                {"action": "delete_selected", "_selected_action": [own.pk, hilltop["attempt"].pk], "post": "yes"})

    assert [a.pk for a in listing.context["cl"].result_list] == [own.pk]
    assert not AccessAttempt.objects.filter(pk=own.pk).exists()
    assert AccessAttempt.objects.filter(pk=hilltop["attempt"].pk).exists()
    event = AuditEvent.objects.get(action="admin.delete")
    assert event.organisation == adam.organisation and event.details["changes"]["username"] == ["bob", None]
    assert "post_data" not in event.details["changes"]


def test_operator_manages_every_clinics_users_but_sees_no_patient_data(client_for, oscar, alice_case, hilltop,
                                                                        mallory):
    client = client_for(oscar)

    users = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "alice" in users and "mallory" in users
    for name in ("cases_case", "cases_lesionimage", "review_review", "review_blindfinding", "review_agreementscore",
                 "oversight_alarm"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403, name
    assert client.get(reverse("admin:cases_case_change", args=[hilltop["case"].pk])).status_code in (302, 403)
    index = client.get(reverse("admin:index")).content.decode()
    for listing in ("/admin/cases/case/", "/admin/cases/lesionimage/", "/admin/review/"):
        assert listing not in index, listing
    events = client.get(reverse("admin:audit_auditevent_changelist")).context["cl"].result_list
    assert hilltop["config_event"] in events and hilltop["event"] not in events  # configuration, never a case
    assert client.get(reverse("admin:api_apitoken_change", args=[mallory.api_token.pk])).status_code == 200


def test_operator_page_of_a_user_shows_no_password_hash(client_for, oscar, bob):
    html = client_for(oscar).get(reverse("admin:accounts_user_change", args=[bob.pk])).content.decode()

    algorithm, *parts = User.objects.get(pk=bob.pk).password.split("$")
    assert algorithm not in html and not any(part in html for part in parts if len(part) > 6)
    assert reverse("admin:auth_user_password_change", args=[bob.pk]) in html
    assert 'name="is_superuser"' in html and 'name="organisation"' in html  # the operator's own fields


def test_django_group_admin_is_gone(client_for, oscar):
    assert client_for(oscar).get("/admin/auth/group/").status_code == 404


def test_operator_creates_a_clinic_admin_for_a_clinic_and_roles_need_one(client_for, oscar, other_clinic):
    clinic_admin = Group.objects.get(name="clinic_admin")
    form = {"username": "hilltop-admin", "usable_password": "true", "password1": "a long enough passphrase 1",
            "password2": "a long enough passphrase 1", "groups": [clinic_admin.pk]}
    client = client_for(oscar)

    refused = client.post(reverse("admin:accounts_user_add"), form)
    created = client.post(reverse("admin:accounts_user_add"), {**form, "organisation": other_clinic.pk})

    assert refused.status_code == 200 and "Clinic roles need a clinic" in refused.content.decode()
    assert created.status_code == 302
    user = User.objects.get(username="hilltop-admin")
    assert (user.organisation, user.is_staff, user.is_superuser) == (other_clinic, True, False)


def test_operator_filters_users_by_clinic(client_for, oscar, alice, mallory):
    page = client_for(oscar).get(reverse("admin:accounts_user_changelist"),
                                 {"organisation__id__exact": mallory.organisation_id})

    assert page.status_code == 200
    assert [u.username for u in page.context["cl"].result_list] == ["mallory"]
