"""The chain becomes keyed (HMAC): rows written before keep their unkeyed scheme; TRUNCATE is refused like DELETE."""

from __future__ import annotations

from django.db import migrations, models

CREATE = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only();
"""
DROP = "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [
        # Existing rows were hashed without a key: the column's default while it is added says so (no UPDATE
        # runs, so the append-only trigger is not involved); new rows default to the keyed scheme.
        migrations.AddField(
            model_name="auditevent", name="hash_scheme",
            field=models.CharField(choices=[("sha256", "SHA-256 (unkeyed, legacy)"),
                                            ("hmac-sha256", "HMAC-SHA-256 with the audit key")],
                                   default="sha256", max_length=16),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent", name="hash_scheme",
            field=models.CharField(choices=[("sha256", "SHA-256 (unkeyed, legacy)"),
                                            ("hmac-sha256", "HMAC-SHA-256 with the audit key")],
                                   default="hmac-sha256", max_length=16),
        ),
        migrations.RunPython(forwards, backwards),
    ]
