"""The audit trail: the key that seals it, the anchors outside the database, and the database roles."""

from __future__ import annotations

from dermreview.settings.variable import COMPOSE, COMPUTED, Section, Variable

SECTION = Section("Audit trail and database roles", (
    Variable(
        "DERMREVIEW_AUDIT_KEY", "str", default="", shown_default="generated into `var/audit_key` (mode 600)",
        required_in_production="e.g. `openssl rand -hex 32`; keep it apart from the database and its backups",
        meaning="HMAC key sealing the audit chain. It is never stored in the database, so nobody with only database "
                "access can recompute a chain that verifies. **Required in production.** Changing it makes earlier "
                "events fail verification: keep the old key with the old backups.",
    ),
    Variable(
        "DERMREVIEW_AUDIT_ANCHOR_FILE", "path", default=COMPUTED, shown_default="`var/audit-anchors.jsonl`",
        example="var/audit-anchors.jsonl",
        meaning="Append-only file of audit anchors (the chain's head, sealed with the audit key), also written to the "
                "log. `audit_verify` reports events removed from the end or rewritten after an anchor. Keep it (and "
                "the log) off the database host.",
    ),
    Variable(
        "DERMREVIEW_AUDIT_ANCHOR_EVERY_S", "int", default=300, minimum=10,
        meaning="How often (seconds) Celery beat writes an anchor when the chain has grown.",
    ),
    Variable(
        "DERMREVIEW_DB_APP_ROLE", "str", default="", shown_default="empty (no grants)",
        meaning="PostgreSQL: the role web and workers log in as (not the tables' owner, no superuser). `migrate`, run "
                "as the owner, grants it what it needs and on the audit table only SELECT and INSERT.",
    ),
    Variable(
        "DERMREVIEW_DB_OWNER_PASSWORD", "str", default=None, read_by=COMPOSE,
        required_in_production="URL-safe characters, e.g. `openssl rand -hex 24`",
        meaning="compose: password of `dermreview_owner`, which owns the tables and runs migrations. **Required.**",
    ),
    Variable(
        "DERMREVIEW_DB_APP_PASSWORD", "str", default=None, read_by=COMPOSE,
        required_in_production="URL-safe characters, e.g. `openssl rand -hex 24`",
        meaning="compose: password of `dermreview_app`, the role web and workers log in as. **Required.**",
    ),
))
