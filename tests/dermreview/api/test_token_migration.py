"""Upgrading from DRF's plaintext tokens: migration api 0001 hashes every key, so existing clients keep working,
and drops DRF's table, so no key is left in the database."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from rest_framework.test import APIClient

from dermreview.api.models import ApiToken
from tests.migration_helpers import migrate_to_latest

DRF_KEY = "0123456789abcdef0123456789abcdef01234567"  # DRF's keys: 40 hex digits


def _drf_token_table(user_id: int) -> None:
    """DRF's table as `authtoken` 0004 left it, with one token."""
    created = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, '
                       f'"created" {created} NOT NULL, "user_id" bigint NOT NULL UNIQUE)')
        cursor.execute('INSERT INTO "authtoken_token" ("key", "created", "user_id") VALUES (%s, %s, %s)',
                       [DRF_KEY, timezone.now(), user_id])
    MigrationRecorder(connection).record_applied("authtoken", "0004_alter_tokenproxy_options")


@pytest.mark.django_db(transaction=True)
def test_drf_tokens_keep_working_and_only_their_digests_remain(alice) -> None:  # noqa: ANN001
    MigrationExecutor(connection).migrate([("api", None)])
    _drf_token_table(alice.pk)

    migrate_to_latest()  # api 0001, and every app the rollback took back with it

    token = ApiToken.objects.get(user=alice)
    assert (token.digest, token.prefix) == (hashlib.sha256(DRF_KEY.encode()).hexdigest(), DRF_KEY[:8])
    assert "authtoken_token" not in connection.introspection.table_names()
    assert not MigrationRecorder.Migration.objects.filter(app="authtoken").exists()
    me = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {DRF_KEY}")
    assert me.status_code == 200 and me.json()["username"] == "alice"
