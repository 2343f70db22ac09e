"""API tokens stored as digests (`ApiToken`), replacing DRF's `authtoken` app, which stored the keys themselves.

Existing DRF tokens keep working: each key is hashed into the new table (same user, same creation time), then
DRF's table is dropped and its migration records removed (`rest_framework.authtoken` is no longer installed).
Going back is possible but loses every token, since only digests are kept: clients request new ones.
"""

from __future__ import annotations

import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

DRF_TABLE = "authtoken_token"


def adopt_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if DRF_TABLE not in connection.introspection.table_names():
        return  # a database that never had DRF's tokens
    ApiToken = apps.get_model("api", "ApiToken")
    quote = schema_editor.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('key')}, {quote('user_id')}, {quote('created')} FROM {quote(DRF_TABLE)}")  # noqa: S608
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        ApiToken.objects.create(user_id=user_id, prefix=key[:8], digest=hashlib.sha256(key.encode()).hexdigest(),
                                created_at=created)
    schema_editor.execute(f"DROP TABLE {quote(DRF_TABLE)}")
    schema_editor.execute(f"DELETE FROM {quote('django_migrations')} WHERE {quote('app')} = 'authtoken'")


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefix", models.CharField(help_text="The key's first characters, to recognise it.", max_length=8)),
                ("digest", models.CharField(help_text="SHA-256 (hex) of the key.", max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_used_at", models.DateTimeField(blank=True, help_text="Updated at most once a minute.",
                                                      null=True)),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="api_token",
                                              to=settings.AUTH_USER_MODEL)),
            ],
            options={"verbose_name": "API token", "ordering": ["-created_at"]},
        ),
        migrations.RunPython(adopt_drf_tokens, migrations.RunPython.noop),
    ]
