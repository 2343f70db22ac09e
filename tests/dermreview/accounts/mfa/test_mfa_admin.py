"""Authenticators in the Django admin: listed without their secrets, never added or edited there; a reset (the
delete, or the action) removes a user's second factor, is audited, and ends the verification of their sessions."""

from __future__ import annotations

from base64 import b32encode

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dermreview.accounts.mfa.services import mfa_enrolment_confirm, mfa_enrolment_start, mfa_reset
from dermreview.audit.models import AuditEvent
from tests.mfa import totp_code

pytestmark = pytest.mark.django_db

ADMIN_URL = "/admin/otp_totp/totpdevice/"


@pytest.fixture
def operator(clinic, user_factory):  # noqa: ANN001, ANN201
    return user_factory(username="root", organisation=clinic, roles=["operator"])


@pytest.fixture
def bob_device(bob) -> TOTPDevice:  # noqa: ANN001
    device, _ = mfa_enrolment_confirm(user=bob, code=totp_code(mfa_enrolment_start(user=bob)))
    return device


def test_mfa_admin_lists_authenticators_without_their_secrets(client_for, operator, bob_device) -> None:  # noqa: ANN001
    client = client_for(operator)
    secret = b32encode(bob_device.bin_key).decode()

    listing = client.get(ADMIN_URL)
    page = client.get(f"{ADMIN_URL}{bob_device.pk}/change/")

    assert listing.status_code == 200 and b"bob" in listing.content
    assert page.status_code == 200
    for response in (listing, page):
        body = response.content.decode()
        assert bob_device.key not in body and secret not in body and "qrcode" not in body
    assert client.get(f"{ADMIN_URL}add/").status_code == 403
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404  # recovery codes are not shown at all


def test_mfa_admin_reset_action_removes_the_second_factor_and_is_audited(client_for, operator, bob,  # noqa: ANN001
                                                                          bob_device) -> None:
    bob_client = Client()
    bob_client.force_login(bob)  # a session of bob's, verified with the authenticator about to go
    assert bob_client.get("/review/").status_code == 200

    response = client_for(operator).post(ADMIN_URL, {"action": "reset_selected", "_selected_action": [bob_device.pk]})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=bob).exists()
    assert not StaticDevice.objects.filter(user=bob).exists()
    event = AuditEvent.objects.get(action="auth.mfa.reset")
    assert event.actor == operator and event.object_id == str(bob.pk) and event.details == {"username": "bob"}
    # Bob's session lost its verification with the device: he enrols again before anything else.
    assert bob_client.get("/review/")["Location"].startswith("/accounts/mfa/enrol/")


def test_mfa_admin_delete_is_a_reset_too(client_for, operator, bob, bob_device) -> None:  # noqa: ANN001
    client_for(operator).post(f"{ADMIN_URL}{bob_device.pk}/delete/", {"post": "yes"})

    assert not TOTPDevice.objects.filter(user=bob).exists() and not StaticDevice.objects.filter(user=bob).exists()
    assert AuditEvent.objects.filter(action="auth.mfa.reset", actor=operator).count() == 1


def test_mfa_reset_is_for_administrators_only(bob, dave, bob_device) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        mfa_reset(user=bob, actor=dave)
    assert TOTPDevice.objects.filter(user=bob).exists()
    assert not AuditEvent.objects.filter(action="auth.mfa.reset").exists()
