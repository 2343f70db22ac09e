"""CSRF is enforced on the login form and on every form that writes (the test client skips it by default)."""

from __future__ import annotations

import pytest
from django.test import Client

from dermreview.cases.models import Case

PASSWORD = "correct horse battery staple"


def _token(client: Client, path: str) -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


@pytest.mark.django_db
def test_csrf_login_without_a_token_is_refused(alice) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    assert b"security token was missing or expired" in response.content
    assert client.get("/cases/").status_code == 302  # not logged in


@pytest.mark.django_db
def test_csrf_login_with_the_token_works(alice) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    token = _token(client, "/accounts/login/")

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302


@pytest.mark.django_db
def test_csrf_case_form_without_a_token_is_refused_and_creates_nothing(alice) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    data = {"patient_ref": "PT-CSRF-1", "body_site": "back", "lesion_label": "L1", "clinical_notes": ""}

    refused = client.post("/cases/new/", data)

    assert refused.status_code == 403
    assert not Case.objects.filter(patient_ref="PT-CSRF-1").exists()

    token = _token(client, "/cases/new/")
    accepted = client.post("/cases/new/", {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Case.objects.filter(patient_ref="PT-CSRF-1").count() == 1


@pytest.mark.django_db
def test_csrf_logout_without_a_token_keeps_the_session(alice) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/cases/").status_code == 200
