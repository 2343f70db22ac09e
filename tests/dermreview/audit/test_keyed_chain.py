"""The chain is keyed: without the audit key nobody can recompute a chain that verifies; anchors catch a cut tail."""

from __future__ import annotations

import hashlib
import json

import pytest

from dermreview.audit.models import AuditEvent, HashScheme
from dermreview.audit.services.anchors import audit_anchor_write, audit_anchors_read
from dermreview.audit.services.events import audit_log
from dermreview.audit.services.verify import audit_chain_verify
from tests.dermreview.audit.test_verify import _tamper


@pytest.fixture(autouse=True)
def _anchor_file(settings, tmp_path):  # noqa: ANN001, ANN202
    settings.DERMREVIEW_AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    settings.DERMREVIEW_AUDIT_KEY = "test-audit-key"
    return settings.DERMREVIEW_AUDIT_ANCHOR_FILE


@pytest.fixture
def chain(alice, alice_case) -> list[AuditEvent]:  # noqa: ANN001
    for index in range(8):
        audit_log(action="case.view", actor=alice, obj=alice_case, details={"n": index})
    return list(AuditEvent.objects.order_by("sequence"))


def _unkeyed(event: AuditEvent) -> str:
    body = json.dumps(event.canonical_payload(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((event.prev_hash + body).encode()).hexdigest()


@pytest.mark.django_db
def test_new_events_are_sealed_with_the_key_not_a_plain_sha256(chain: list[AuditEvent], settings) -> None:  # noqa: ANN001
    assert {event.hash_scheme for event in chain} == {HashScheme.HMAC_SHA256}
    assert chain[0].hash != _unkeyed(chain[0])
    settings.DERMREVIEW_AUDIT_KEY = "another-key"
    report = audit_chain_verify()
    assert (report.ok, report.first_broken_sequence) == (False, 1)


@pytest.mark.django_db
def test_an_edited_event_with_every_later_hash_recomputed_without_the_key_is_detected(chain: list[AuditEvent]) -> None:
    # The attack that passed before: edit #3, then recompute #3..#8 as plain SHA-256 so every link matches.
    previous = chain[1].hash
    for event in chain[2:]:
        if event.sequence == 3:
            event.details = {"n": 99}
        event.prev_hash = previous
        event.hash_scheme = HashScheme.SHA256
        event.hash = _unkeyed(event)
        _tamper("UPDATE audit_auditevent SET details = %s, prev_hash = %s, hash = %s, hash_scheme = %s "
                "WHERE sequence = %s", [json.dumps(event.details), event.prev_hash, event.hash,
                                        event.hash_scheme, event.sequence])
        previous = event.hash

    report = audit_chain_verify()
    assert (report.ok, report.first_broken_sequence) == (False, 3)
    assert "not sealed with the audit key" in report.reason


@pytest.mark.django_db
def test_deleting_the_last_five_events_is_caught_by_the_anchor(chain: list[AuditEvent], alice) -> None:  # noqa: ANN001
    anchor = audit_anchor_write()
    assert anchor is not None and anchor.sequence == 8
    _tamper("DELETE FROM audit_auditevent WHERE sequence > 3", [])

    report = audit_chain_verify()
    assert not report.ok
    assert "#8" in report.reason and "removed from its end" in report.reason


@pytest.mark.django_db
def test_an_anchor_is_written_only_when_the_head_moved(chain: list[AuditEvent], alice, _anchor_file) -> None:  # noqa: ANN001
    assert audit_anchor_write() is not None
    assert audit_anchor_write() is None
    audit_log(action="case.view", actor=alice)
    assert audit_anchor_write().sequence == 9
    assert [a.sequence for a in audit_anchors_read()] == [8, 9]
    assert audit_chain_verify().anchors_checked == 2


@pytest.mark.django_db
def test_a_forged_anchor_line_is_reported(chain: list[AuditEvent], _anchor_file) -> None:  # noqa: ANN001
    audit_anchor_write()
    with _anchor_file.open("a") as handle:
        handle.write(json.dumps({"sequence": 2, "hash": chain[1].hash, "written_at": "x", "seal": "0" * 64}) + "\n")
    report = audit_chain_verify()
    assert not report.ok and "anchor file was edited" in report.reason


@pytest.mark.django_db
def test_events_written_before_the_key_still_verify(alice) -> None:  # noqa: ANN001
    # An upgraded installation: its first events carry the legacy unkeyed scheme; keyed ones follow.
    first = audit_log(action="case.view", actor=alice)
    first.hash_scheme = HashScheme.SHA256
    first.hash = _unkeyed(first)
    _tamper("UPDATE audit_auditevent SET hash_scheme = %s, hash = %s WHERE sequence = 1",
            [first.hash_scheme, first.hash])
    second = audit_log(action="case.view", actor=alice)
    assert second.prev_hash == first.hash
    assert audit_chain_verify().ok
