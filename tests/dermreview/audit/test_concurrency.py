"""Concurrent appends from several connections never fork the chain (two events with one predecessor)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log
from dermreview.audit.services.verify import audit_chain_verify

THREADS = 4
EVENTS_PER_THREAD = 10


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_audit_concurrent_appends_keep_one_unbroken_chain(alice) -> None:  # noqa: ANN001
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            start.wait()
            for index in range(EVENTS_PER_THREAD):
                audit_log(action="case.view", actor=alice, details={"worker": worker, "n": index})
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=append, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    total = THREADS * EVENTS_PER_THREAD
    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == list(
        range(1, total + 1)
    )
    assert AuditEvent.objects.values("prev_hash").distinct().count() == total  # no two share a predecessor
    report = audit_chain_verify()
    assert report.ok and report.checked == total
