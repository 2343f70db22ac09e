"""Reading configuration from the environment.

Every value DermReview reads is parsed here so that a malformed value stops start-up with a message
that names the variable, instead of surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name} must lie between {minimum} and {maximum}, got {value}")
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {raw!r}")


def env_str(name: str, default: str) -> str:
    return _raw(name) or default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


# DermReview is tested on these two; django-environ would accept any scheme and defer the error to the first query.
DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "psql", "sqlite")


def env_database(name: str, default: str) -> dict:
    raw = _raw(name) or default
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme not in DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must be a postgres:// or sqlite:// URL, got scheme {scheme or '(none)'!r}"
        )
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for bad URLs
        # The URL may hold a password: name the problem, not the value.
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database (expected scheme://user@host:port/name)")
    return config


def secret_key_from_env_or_file(var_dir: Path) -> str:
    """Return DJANGO_SECRET_KEY, or a key generated once into var/ (mode 600) and reused after."""
    configured = _raw("DJANGO_SECRET_KEY")
    if configured:
        return configured
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    # O_EXCL: two processes starting together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
