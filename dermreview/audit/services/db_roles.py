"""The application's PostgreSQL role: everything it needs, and on the audit table only SELECT and INSERT.

Migrations run as the tables' owner; the web tier and workers log in as a second role that owns nothing, is no
superuser and so cannot TRUNCATE, disable triggers, or `SET session_replication_role`. The grants are re-applied
after every `migrate` (tables created by a migration start with no privileges for the app role).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

AUDIT_TABLE = "audit_auditevent"


def app_role_grant(*, connection: BaseDatabaseWrapper, role: str) -> None:
    """Grant `role` the app's privileges on every table and sequence of the current schema, audit excepted."""
    if connection.vendor != "postgresql" or not role:
        return
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cursor.fetchone()[0])
        for statement in (
            f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_TABLE} FROM {quoted}",
            # The app never migrates: its record of migrations is the owner's to write.
            f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {quoted}",
        ):
            cursor.execute(statement)
