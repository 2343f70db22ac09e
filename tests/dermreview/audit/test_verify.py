"""`manage.py audit_verify`: passes on an intact chain, names the first broken event after tampering.

On SQLite the tampering is a raw UPDATE/DELETE. On PostgreSQL the append-only trigger refuses both, so the
test proves that first, then switches the trigger off inside its own transaction (rolled back afterwards)
to show that verification still catches a tamper by someone who can do the same.
"""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log
from dermreview.audit.services.verify import audit_chain_verify

TABLE = AuditEvent._meta.db_table
TRIGGER = "audit_auditevent_no_change"


@pytest.fixture
def chain(alice, alice_case) -> list[AuditEvent]:  # noqa: ANN001
    for index in range(5):
        audit_log(action="case.view", actor=alice, obj=alice_case, details={"n": index})
    return list(AuditEvent.objects.order_by("sequence"))


def _verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def _tamper(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are deferred: check them now, since ALTER TABLE refuses to run while their
            # checks are pending. DDL is transactional here: the test's rollback switches the trigger back on.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_audit_verify_passes_on_an_intact_chain(chain: list[AuditEvent]) -> None:
    assert "Audit chain intact: 5 events verified." in _verify()


@pytest.mark.django_db
def test_audit_verify_passes_on_an_empty_trail() -> None:
    assert "Audit chain intact: 0 events verified." in _verify()


@pytest.mark.django_db
def test_audit_verify_reports_an_altered_event(chain: list[AuditEvent]) -> None:
    _tamper("UPDATE audit_auditevent SET details = %s WHERE sequence = 3", ['{"n": 99}'])

    with pytest.raises(CommandError, match=r"broken at event #3 .*altered after it was written"):
        _verify()
    report = audit_chain_verify()
    assert (report.ok, report.first_broken_sequence, report.checked) == (False, 3, 2)


@pytest.mark.django_db
def test_audit_verify_reports_a_changed_actor_even_with_a_recomputed_row_hash(chain: list[AuditEvent]) -> None:
    # A tamperer who rewrites a row and recomputes its own hash still breaks the next row's link.
    event = chain[1]
    event.actor_username = "someone-else"
    forged = event.compute_hash()
    _tamper("UPDATE audit_auditevent SET actor_username = %s, hash = %s WHERE sequence = 2", ["someone-else", forged])

    with pytest.raises(CommandError, match=r"broken at event #3 .*does not link"):
        _verify()


@pytest.mark.django_db
def test_audit_verify_reports_a_deleted_event(chain: list[AuditEvent]) -> None:
    _tamper("DELETE FROM audit_auditevent WHERE sequence = 4", [])

    with pytest.raises(CommandError, match=r"broken at event #4 .*missing"):
        _verify()


@pytest.mark.django_db
def test_audit_verify_command_exits_non_zero_when_broken(chain: list[AuditEvent]) -> None:
    _tamper("UPDATE audit_auditevent SET action = %s WHERE sequence = 1", ["case.edit"])

    with pytest.raises(CommandError) as excinfo:
        _verify()
    assert excinfo.value.returncode == 1
    assert "#1" in str(excinfo.value)


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_audit_table_refuses_update_and_delete_on_postgresql(chain: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(sequence=2).update(action="case.edit")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(sequence=2).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET details = '{}'")

    assert AuditEvent.objects.count() == 5
    assert audit_chain_verify().ok


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_audit_trigger_is_installed_by_the_migration_on_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass", [TRIGGER, TABLE]
        )
        assert cursor.fetchone() == ("O",)  # present and enabled
