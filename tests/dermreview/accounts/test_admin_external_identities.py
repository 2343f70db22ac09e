"""Single sign-on links in the admin: a clinic admin sees and removes their own clinic's; only operators link, and
only operators turn a clinic's password sign-in off."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.accounts.models import ExternalIdentity

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.org/realms/hospital"


def test_clinic_admin_sees_only_their_clinics_links_and_may_remove_one(
    client_for: Any, adam: Any, bob: Any, mallory: Any,
) -> None:
    own = ExternalIdentity.objects.create(user=bob, issuer=ISSUER, subject="sub-bob")
    other = ExternalIdentity.objects.create(user=mallory, issuer=ISSUER, subject="sub-mallory")
    client = client_for(adam)
    listing = client.get(reverse("admin:accounts_externalidentity_changelist")).content.decode()
    assert "sub-bob" in listing and "sub-mallory" not in listing
    assert client.get(reverse("admin:accounts_externalidentity_change", args=[other.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:accounts_externalidentity_add")).status_code == 403
    response = client.post(reverse("admin:accounts_externalidentity_delete", args=[own.pk]), {"post": "yes"})
    assert response.status_code == 302 and not ExternalIdentity.objects.filter(pk=own.pk).exists()


def test_operator_links_a_local_account(client_for: Any, oscar: Any, bob: Any) -> None:
    client = client_for(oscar)
    response = client.post(reverse("admin:accounts_externalidentity_add"),
                           {"user": bob.pk, "issuer": ISSUER, "subject": "sub-bob"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ExternalIdentity.objects.get(subject="sub-bob").user == bob


def test_only_an_operator_may_turn_password_sign_in_off(client_for: Any, adam: Any, oscar: Any, clinic: Any) -> None:
    url = reverse("admin:accounts_organisation_change", args=[clinic.pk])
    page = client_for(adam).get(url).content.decode()
    assert 'name="local_password_login"' not in page  # shown read-only to the clinic admin
    page = client_for(oscar).get(url).content.decode()
    assert 'name="local_password_login"' in page
