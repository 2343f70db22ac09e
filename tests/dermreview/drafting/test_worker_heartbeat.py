"""Worker heartbeats: the row the governance page reads, written by the worker process's runtime."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dermreview.drafting.models import WorkerHeartbeat
from dermreview.drafting.runtime import WorkerRuntime
from dermreview.drafting.services.identity import model_identity
from inference_worker.identity import ModelIdentity

pytestmark = pytest.mark.django_db


def test_worker_heartbeat_records_model_state_and_errors() -> None:
    runtime = WorkerRuntime()
    runtime.beat()  # not a named worker (e.g. the web tier): nothing is written
    assert not WorkerHeartbeat.objects.exists()

    runtime.hostname = "gpu@host-1"
    runtime.model_failed("model directory /models/x does not exist")
    row = WorkerHeartbeat.objects.get(worker="gpu@host-1")
    assert not row.model_loaded and row.last_error == "model directory /models/x does not exist"
    identity = model_identity()
    assert (row.model_id, row.prompt_version, row.backend) == (
        identity.model_id, identity.prompt_version, identity.backend)

    first_seen = row.last_seen
    runtime.model_ready(SimpleNamespace(identity=identity))  # type: ignore[arg-type]
    row.refresh_from_db()
    assert row.model_loaded and row.last_error == "" and row.last_seen >= first_seen
    assert WorkerHeartbeat.objects.count() == 1


def test_worker_heartbeat_names_the_model_the_loaded_engine_reports() -> None:
    runtime = WorkerRuntime()
    runtime.hostname = "gpu@host-2"
    served = ModelIdentity("org/served-model", "abc123", "p-1", "openai")
    runtime.model_ready(SimpleNamespace(identity=served))  # type: ignore[arg-type]
    row = WorkerHeartbeat.objects.get(worker="gpu@host-2")
    assert (row.model_id, row.model_revision, row.prompt_version, row.backend) == (
        "org/served-model", "abc123", "p-1", "openai")

    runtime.worker_stopped()
    row.refresh_from_db()
    assert not row.model_loaded and row.last_error == "worker stopped"
