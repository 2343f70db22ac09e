"""Parsing one raw environment value, and the secret key.

Each parser takes the variable's name so that a malformed value stops start-up with a message that names the
variable, instead of surfacing later as a confusing runtime error. Which variable has which parser, default and
bounds is declared once, in `dermreview/settings/variables/`; `registry.env()` is what settings call.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured


def raw_value(name: str, environ_: Mapping[str, str] | None = None) -> str | None:
    """The variable's text, or None when it is unset or empty (empty means "use the default")."""
    value = (os.environ if environ_ is None else environ_).get(name)
    return value if value not in (None, "") else None


def _check_range(name: str, value: float, minimum: float | None, maximum: float | None) -> None:
    too_low = minimum is not None and value < minimum
    too_high = maximum is not None and value > maximum
    if not (too_low or too_high):
        return
    if minimum is not None and maximum is not None:
        raise ImproperlyConfigured(f"{name} must lie between {minimum} and {maximum}, got {value}")
    if too_low:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")


def parse_int(name: str, raw: str, *, minimum: float | None = None, maximum: float | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    _check_range(name, value, minimum, maximum)
    return value


def parse_float(name: str, raw: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    # nan compares false with every bound, so it would slip through the range check below.
    if not math.isfinite(value):
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}")
    _check_range(name, value, minimum, maximum)
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {raw!r}")


def parse_list(name: str, raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def url_scheme(raw: str) -> str:
    return raw.split("://", 1)[0].lower() if "://" in raw else ""


def parse_url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    scheme = url_scheme(raw)
    if scheme not in schemes:
        # Name the scheme only: broker and cache URLs may carry a password.
        raise ImproperlyConfigured(
            f"{name} must be {_either([f'{s}://' for s in schemes])}, got scheme {scheme or '(none)'!r}"
        )
    return raw


_RATE_RE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def parse_rate(name: str, raw: str) -> str:
    if not _RATE_RE.match(raw):
        raise ImproperlyConfigured(f"{name} must look like '10/min' (per s, min, hour or day), got {raw!r}")
    return raw


# DermReview is tested on these two; django-environ would accept any scheme and defer the error to the first query.
DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "psql", "sqlite")


def parse_database(name: str, raw: str) -> dict:
    scheme = url_scheme(raw)
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
    """Return DJANGO_SECRET_KEY, or a key generated once into var/ (mode 600) and reused after.

    This is the one place settings may create a folder: the key must outlive the process (the web server and the
    workers of `make run` share it), so the first process to start writes it, making var/ if it has to.
    """
    configured = raw_value("DJANGO_SECRET_KEY")
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
