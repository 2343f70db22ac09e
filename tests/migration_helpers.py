"""For tests that move the schema back to test a data migration: put every app back on its latest migration."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to_latest() -> None:
    """Apply every migration up to the graph's leaves; a test that rolled back must leave today's schema."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
