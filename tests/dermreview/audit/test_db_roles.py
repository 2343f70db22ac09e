"""On PostgreSQL the application's own role cannot rewrite the audit trail: the attacks that worked as a superuser.

The app logs in as a role that owns no table and is no superuser (`DERMREVIEW_DB_APP_ROLE`; .ci/run and
docker-compose create it). The test connects as that role to the test database and tries each attack.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from dermreview.audit.models import AuditEvent
from dermreview.audit.services.db_roles import app_role_grant
from dermreview.audit.services.events import audit_log

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

FALLBACK_ROLE = "dermreview_test_app"


@pytest.fixture
def app_connection(alice, alice_case) -> Iterator[psycopg.Connection]:  # noqa: ANN001
    for index in range(3):
        audit_log(action="case.view", actor=alice, obj=alice_case, details={"n": index})
    role = settings.DERMREVIEW_DB_APP_ROLE or FALLBACK_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {connection.ops.quote_name(role)} LOGIN NOSUPERUSER NOCREATEDB")
    app_role_grant(connection=connection, role=role)
    params = connection.get_connection_params()
    conninfo = {key: params[key] for key in ("host", "port", "dbname") if params.get(key)}
    with psycopg.connect(**conninfo, user=role, autocommit=True) as app:
        yield app


def _refused(app: psycopg.Connection, sql: str) -> str:
    with pytest.raises(psycopg.Error) as excinfo:
        app.execute(sql)
    return str(excinfo.value)


def test_app_role_reads_and_appends_but_cannot_change_the_audit_trail(app_connection: psycopg.Connection) -> None:
    assert app_connection.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (3,)
    assert "permission denied" in _refused(app_connection, "UPDATE audit_auditevent SET action = 'x'")
    assert "permission denied" in _refused(app_connection, "DELETE FROM audit_auditevent")
    assert "permission denied" in _refused(app_connection, "TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 3


def test_app_role_cannot_switch_the_guards_off(app_connection: psycopg.Connection) -> None:
    assert "permission denied" in _refused(app_connection, "SET session_replication_role = replica")
    assert "owner" in _refused(app_connection, "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    assert "owner" in _refused(app_connection, "DROP TRIGGER audit_auditevent_no_change ON audit_auditevent")


def test_app_role_still_does_its_work_on_other_tables(app_connection: psycopg.Connection, alice_case) -> None:  # noqa: ANN001
    app_connection.execute("UPDATE cases_case SET lesion_label = 'L2' WHERE id = %s", [alice_case.pk])
    alice_case.refresh_from_db()
    assert alice_case.lesion_label == "L2"


def test_even_the_owner_cannot_truncate_the_audit_table(alice) -> None:  # noqa: ANN001
    audit_log(action="case.view", actor=alice)
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == 1
