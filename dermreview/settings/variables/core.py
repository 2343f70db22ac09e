"""Core: secrets, hosts, the database, the broker, the cache and where local state lives."""

from __future__ import annotations

from dermreview.settings.variable import COMPUTED, Section, Variable

SECTION = Section("Core", (
    Variable(
        "DJANGO_SECRET_KEY", "str", default=COMPUTED,
        shown_default="generated into `var/secret_key` (mode 600)",
        meaning="Django's signing key. **Required in production**, where each container would otherwise generate "
                "its own.",
        required_in_production="e.g. `openssl rand -hex 50`",
    ),
    Variable(
        "DJANGO_ALLOWED_HOSTS", "list", default=["127.0.0.1", "localhost"],
        meaning="Host names served, comma-separated. **Required in production.**",
        required_in_production="the site's host name",
    ),
    Variable(
        "DJANGO_DEBUG", "bool", default=False, shown_default="`false` (`true` under `make run`)",
        meaning="Django's debug pages. Always off in production.",
    ),
    Variable(
        "DJANGO_CSRF_TRUSTED_ORIGINS", "list", default=[],
        meaning="Extra origins (`https://host`) allowed to submit forms; rarely needed behind nginx.",
    ),
    Variable("DJANGO_TIME_ZONE", "str", default="UTC", meaning="Display time zone."),
    Variable(
        "DJANGO_LOG_LEVEL", "choice", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
        meaning="Root log level: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`.",
    ),
    Variable(
        "DJANGO_EMAIL_BACKEND", "str", default="django.core.mail.backends.console.EmailBackend",
        shown_default="console backend",
        meaning="Where the daily alarm digest goes (e.g. `django.core.mail.backends.smtp.EmailBackend`).",
    ),
    Variable("DJANGO_DEFAULT_FROM_EMAIL", "str", default="dermreview@localhost", meaning="Sender of emails."),
    Variable(
        "DERMREVIEW_SITE_URL", "url", default="http://127.0.0.1:8000", choices=("http", "https"),
        meaning="Where people reach this installation; links in emails are built on it.",
    ),
    Variable(
        "DATABASE_URL", "database", default=COMPUTED, shown_default="`sqlite:///var/dermreview.sqlite3`",
        example="sqlite:///var/dermreview.sqlite3",
        meaning="`postgres://user:password@host:5432/name` or `sqlite:///path`. Nothing else is accepted.",
    ),
    Variable(
        "DATABASE_CONN_MAX_AGE", "int", default=0, minimum=0,
        meaning="Seconds a database connection is reused (0 = one per request or task; GPU workers: 300).",
    ),
    Variable(
        "CELERY_BROKER_URL", "url", default="filesystem://", choices=("filesystem", "redis", "rediss", "amqp", "memory"),
        shown_default="`filesystem://` (under `var/broker`)",
        meaning="The task queue: kombu's server-less filesystem transport by default (real multi-process Celery, "
                "no Redis); `redis://host:6379/0` in production.",
    ),
    Variable(
        "DERMREVIEW_CACHE_URL", "url", default="locmem://", choices=("locmem", "redis", "rediss"),
        meaning="API throttle counters and token-use marks: `locmem://` (per process), or `redis://host:6379/1` to "
                "share them between gunicorn workers (docker compose does).",
    ),
    Variable(
        "CELERY_VISIBILITY_TIMEOUT_S", "int", default=COMPUTED, minimum=1, shown_default="hard time limit + 120",
        example="480",
        meaning="Redis only: seconds before an unacknowledged task is redelivered. Keep it above the drafting hard "
                "limit.",
    ),
    Variable(
        "DERMREVIEW_VAR_DIR", "path", default=COMPUTED, shown_default="`var/`", example="var",
        meaning="Local state: secret key, SQLite database, broker folder, photos, models, demo credentials.",
    ),
    Variable(
        "DERMREVIEW_BROKER_DIR", "path", default=COMPUTED, shown_default="`var/broker`", example="var/broker",
        meaning="The filesystem broker's folder (made when Celery starts, not before).",
    ),
))
