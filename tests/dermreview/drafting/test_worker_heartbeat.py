"""Worker heartbeats: the row the governance page reads."""

from __future__ import annotations

import pytest

from dermreview.drafting.models import WorkerHeartbeat
from dermreview.drafting.services.heartbeat import WorkerState
from dermreview.drafting.services.identity import model_identity

pytestmark = pytest.mark.django_db


def test_worker_heartbeat_records_model_state_and_errors() -> None:
    state = WorkerState()
    state.beat()  # not a named worker (e.g. the web tier): nothing is written
    assert not WorkerHeartbeat.objects.exists()

    state.hostname = "gpu@host-1"
    state.model_failed("model directory /models/x does not exist")
    row = WorkerHeartbeat.objects.get(worker="gpu@host-1")
    assert not row.model_loaded and row.last_error == "model directory /models/x does not exist"
    identity = model_identity()
    assert (row.model_id, row.prompt_version, row.backend) == (
        identity.model_id, identity.prompt_version, identity.backend)

    first_seen = row.last_seen
    state.model_ready(engine=object())
    row.refresh_from_db()
    assert row.model_loaded and row.last_error == "" and row.last_seen >= first_seen
    assert WorkerHeartbeat.objects.count() == 1
