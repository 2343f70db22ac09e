"""Upgrading a database of the former `findings` app: its tables, rows and history move to `drafting` and `review`.

The legacy schema is the SQL that `sqlmigrate findings 0001/0002` printed on the last release that had the app (one
file per database vendor); the test loads it with data, records those migrations as applied, and runs today's
migrations over it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from dermreview.drafting.models import Draft, DraftStatus
from dermreview.review.models import AgreementScore, BlindFinding, Review
from tests.migration_helpers import migrate_to_latest

LEGACY_SQL = Path(__file__).parent / "legacy_findings_sql"
NEW_APPS = [("review", None), ("drafting", None)]


def _legacy_schema() -> None:
    prefix = "pg" if connection.vendor == "postgresql" else "sqlite"
    with connection.cursor() as cursor:
        for number in ("0001", "0002"):
            text = (LEGACY_SQL / f"{prefix}_{number}.sql").read_text()
            for statement in text.split(";\n"):
                lines = [line for line in statement.splitlines() if line.strip() and not line.startswith("--")]
                sql = "\n".join(lines).strip().rstrip(";")
                if sql and sql.upper() not in ("BEGIN", "COMMIT"):
                    cursor.execute(sql)
    recorder = MigrationRecorder(connection)
    recorder.record_applied("findings", "0001_initial")
    recorder.record_applied("findings", "0002_review_disagreement")


def _legacy_rows(*, image_id: int, case_id: int, reviewer_id: int) -> None:
    now = timezone.now()
    fields = ["melanoma", "brown, black", "asymmetric", "irregular", "smooth", "Asymmetric pigmented lesion."]
    six = "lesion_type, color, symmetry, borders, texture, summary"  # a constant: the f-strings below inject nothing
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO findings_draft (id, {six}, model_id, model_revision, prompt_version, backend, status, "  # noqa: S608
            "raw_output, failure_kind, failure_message, attempts, claim_token, created_at, updated_at, image_id) "
            "VALUES (41, %s, %s, %s, %s, %s, %s, 'm', 'r1', 'p1', 'transformers', 'ready', '{}', '', '', 1, '', "
            "%s, %s, %s)", [*fields, now, now, image_id])
        cursor.execute(
            f"INSERT INTO findings_blindfinding (id, {six}, created_at, case_id, reviewer_id) "  # noqa: S608
            "VALUES (42, %s, %s, %s, %s, %s, %s, %s, %s, %s)", [*fields, now, case_id, reviewer_id])
        cursor.execute(
            f"INSERT INTO findings_review (id, {six}, version, round, outcome, draft_snapshot, edited_fields, "  # noqa: S608
            "all_unchanged, rejection_reason, attestation, opened_at, signed_at, time_on_task_ms, amendment_reason, "
            "disagreement_fields, blind_finding_id, case_id, draft_id, reviewer_id) VALUES "
            "(43, %s, %s, %s, %s, %s, %s, 1, 1, 'accepted', '{}', '[]', TRUE, '', 'I attest', %s, %s, 9000, '', "
            "'[]', 42, %s, 41, %s)", [*fields, now, now, case_id, reviewer_id])
        cursor.execute(
            "INSERT INTO findings_agreementscore (id, comparison, field, f1, precision, recall, exact_match, "
            "scorer_model, scorer_num_layers, scorer_version, created_at, review_id) VALUES "
            "(44, 'draft_vs_final', 'summary', 0.93, 0.92, 0.94, FALSE, 'all-MiniLM-L6-v2', 6, '0.3.13', %s, 43)",
            [now])
        if connection.vendor == "postgresql":
            # Rows written by the application advance the identity; these explicit ids must do the same.
            cursor.execute("SELECT setval(pg_get_serial_sequence('findings_draft', 'id'), 41)")


@pytest.mark.django_db(transaction=True)
def test_upgrade_from_findings_keeps_every_row_and_history(alice_image, bob) -> None:  # noqa: ANN001
    executor = MigrationExecutor(connection)
    executor.migrate(NEW_APPS)
    # Content types of an old installation carry the old label; admin history and permissions hang off them.
    ContentType.objects.filter(app_label__in=["drafting", "review"]).delete()
    legacy_draft_type = ContentType.objects.create(app_label="findings", model="draft")
    _legacy_schema()
    _legacy_rows(image_id=alice_image.pk, case_id=alice_image.case_id, reviewer_id=bob.pk)

    migrate_to_latest()  # today's schema, every later migration included

    draft = Draft.objects.get(pk=41)
    assert (draft.lesion_type, draft.status, draft.image_id) == ("melanoma", DraftStatus.READY, alice_image.pk)
    review = Review.objects.get(pk=43)
    assert (review.draft_id, review.blind_finding_id, review.time_on_task_ms) == (41, 42, 9000)
    assert BlindFinding.objects.get(pk=42).reviewer_id == bob.pk
    assert AgreementScore.objects.get(pk=44).review_id == 43
    tables = connection.introspection.table_names()
    assert not [name for name in tables if name.startswith("findings_")]
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "drafting_draft")
    assert "draft_status_queued_idx" in indexes
    assert "findings_dr_status_12d4d6_idx" not in indexes
    assert ContentType.objects.get(pk=legacy_draft_type.pk).app_label == "drafting"
    # New rows follow the old ones: identity and sequences came along with the tables.
    assert Draft.objects.create(image=alice_image, model_id="m2", model_revision="r", prompt_version="p").pk > 41


@pytest.mark.django_db(transaction=True)
def test_fresh_database_gets_new_tables_and_no_legacy_ones() -> None:
    tables = connection.introspection.table_names()
    assert {"drafting_draft", "drafting_draftingcontrol", "drafting_workerheartbeat", "review_review",
            "review_blindfinding", "review_agreementscore"} <= set(tables)
    assert not [name for name in tables if name.startswith("findings_")]
