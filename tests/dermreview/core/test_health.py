"""`/healthz`: the probe docker-compose and load balancers call, without a login."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_answers_anonymous_callers_with_database_status(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_deep_reports_the_configured_broker_reachable(client: Client) -> None:
    # Whatever broker this run uses (the filesystem default, or Redis in CI) must be up for the suite.
    response = client.get("/healthz", {"deep": "1"})

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_deep_is_503_when_redis_refuses_and_hides_the_url(client: Client, settings: object) -> None:
    # Port 1 on loopback refuses at once; the password must never reach an anonymous caller.
    settings.CELERY_BROKER_URL = "redis://:s3cret-pw@127.0.0.1:1/0"  # type: ignore[attr-defined]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}  # type: ignore[attr-defined]

    response = client.get("/healthz", {"deep": "1"})

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}
    assert b"s3cret" not in response.content
    assert b"127.0.0.1" not in response.content


@pytest.mark.django_db
def test_healthz_deep_is_503_when_the_broker_folder_is_missing(
    client: Client, settings: object, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-queue")
    settings.CELERY_BROKER_URL = "filesystem://"  # type: ignore[attr-defined]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {  # type: ignore[attr-defined]
        "data_folder_in": missing, "data_folder_out": missing, "processed_folder": missing,
    }

    response = client.get("/healthz", {"deep": "1"})

    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"


@pytest.mark.django_db
def test_healthz_plain_probe_ignores_a_broker_outage(client: Client, settings: object) -> None:
    # The web container must not be restarted because Redis is down: only the deep probe looks at it.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # type: ignore[attr-defined]

    assert client.get("/healthz").status_code == 200
