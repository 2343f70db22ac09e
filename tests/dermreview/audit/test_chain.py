"""`audit_log` appends hash-chained events: sequence 1..n, each linked to the one before."""

from __future__ import annotations

import pytest

from dermreview.audit.context import audit_context
from dermreview.audit.models import AuditEvent
from dermreview.audit.models.audit_event import GENESIS_HASH
from dermreview.audit.services.events import audit_log


@pytest.mark.django_db
def test_audit_events_form_a_chain_from_genesis(alice, alice_case) -> None:  # noqa: ANN001
    for action in ("case.view", "case.edit", "case.view"):
        audit_log(action=action, actor=alice, obj=alice_case)

    events = list(AuditEvent.objects.order_by("sequence"))

    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert len({e.hash for e in events}) == 3
    for event in events:
        event.refresh_from_db()
        assert event.compute_hash() == event.hash  # the hash survives the database round trip


@pytest.mark.django_db
def test_audit_event_records_who_what_where_and_from_which_address(alice, alice_case) -> None:  # noqa: ANN001
    with audit_context(ip_address="198.51.100.4"):
        event = audit_log(action="case.view", actor=alice, obj=alice_case, details={"page": 2})

    event.refresh_from_db()
    assert event.actor == alice
    assert event.actor_username == "alice"
    assert event.object_type == "cases.case"
    assert event.object_id == str(alice_case.pk)
    assert event.case_id == alice_case.pk
    assert event.organisation == alice_case.organisation
    assert event.ip_address == "198.51.100.4"
    assert event.details == {"page": 2}


@pytest.mark.django_db
def test_audit_event_for_an_image_carries_its_case(alice, alice_image) -> None:  # noqa: ANN001
    event = audit_log(action="image.view", actor=alice, obj=alice_image)

    assert event.case_id == alice_image.case_id
    assert event.organisation == alice_image.case.organisation


@pytest.mark.django_db
def test_audit_system_event_has_no_actor(alice_case) -> None:  # noqa: ANN001
    event = audit_log(action="draft.reconciled", obj=alice_case, details={"requeued": 3})

    assert event.actor is None
    assert event.actor_username == ""
    assert event.organisation == alice_case.organisation


@pytest.mark.django_db
def test_audit_details_with_non_json_values_hash_the_stored_form(alice) -> None:  # noqa: ANN001
    from datetime import date
    from decimal import Decimal

    event = audit_log(action="export.csv", actor=alice, details={"since": date(2025, 1, 2), "score": Decimal("0.5")})

    event.refresh_from_db()
    assert event.details == {"since": "2025-01-02", "score": "0.5"}
    assert event.compute_hash() == event.hash


@pytest.mark.django_db
def test_audit_event_rolls_back_with_the_change_it_records(alice) -> None:  # noqa: ANN001
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_log(action="case.create", actor=alice)
        raise RuntimeError("the change failed")

    assert not AuditEvent.objects.exists()
    assert audit_log(action="case.create", actor=alice).sequence == 1  # no gap left behind
