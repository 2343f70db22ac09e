"""Settings come from the environment: malformed values stop start-up, production passes `check --deploy`,
and every variable the code reads is registered (so .env.example and the README, generated from the registry,
document it). The registry itself, the generated docs and import side effects: tests/dermreview/settings/."""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.test import override_settings

from dermreview.settings import base
from dermreview.settings.env import secret_key_from_env_or_file
from dermreview.settings.registry import VARIABLES
from dermreview.settings.variable import COMPOSE, GUNICORN, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
CONFIG_PREFIXES = ("DERMREVIEW_", "DJANGO_", "CELERY_", "DATABASE_", "BERTSCORE_")


def _clean_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """The caller's environment without any DermReview configuration, plus `overrides`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(CONFIG_PREFIXES)}
    env["DERMREVIEW_VAR_DIR"] = str(var_dir)
    env.update(overrides)
    return env


def _manage(var_dir: Path, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_clean_env(var_dir, **overrides),
        capture_output=True, text=True, timeout=120,
    )


def _production_env(**overrides: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "dermreview.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "dermreview.example.org",
        "DERMREVIEW_AUDIT_KEY": secrets.token_hex(32),
        **overrides,
    }


# --- start-up with malformed values ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DERMREVIEW_UPLOAD_MAX_BYTES", "abc", "DERMREVIEW_UPLOAD_MAX_BYTES must be an integer, got 'abc'"),
        ("DERMREVIEW_UPLOAD_MAX_FILES", "0", "DERMREVIEW_UPLOAD_MAX_FILES must be at least 1, got 0"),
        ("DATABASE_URL", "nonsense://x", "DATABASE_URL must be a postgres:// or sqlite:// URL"),
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be one of true/false"),
        ("DERMREVIEW_MEDIA_SERVE", "nginx", "DERMREVIEW_MEDIA_SERVE must be one of django, x-accel-redirect"),
        ("CELERY_BROKER_URL", "ftp://broker", "CELERY_BROKER_URL must be filesystem://"),
        ("DERMREVIEW_BLIND_FIRST_SHARE", "1.5", "DERMREVIEW_BLIND_FIRST_SHARE must lie between 0.0 and 1.0"),
        ("DERMREVIEW_BATCH_SIZE", "eight", "DERMREVIEW_BATCH_SIZE='eight' is malformed"),
        ("DERMREVIEW_OVERSIGHT_DAILY_HOUR", "24", "DERMREVIEW_OVERSIGHT_DAILY_HOUR must lie between 0 and 23"),
        ("DERMREVIEW_API_UPLOAD_RATE", "lots", "DERMREVIEW_API_UPLOAD_RATE must look like '10/min'"),
    ],
)
def test_settings_malformed_env_value_stops_startup_naming_the_variable(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    result = _manage(tmp_path, "check", **{name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert expected in result.stderr


def test_settings_database_url_error_does_not_echo_the_password(tmp_path: Path) -> None:
    result = _manage(tmp_path, "check", DATABASE_URL="postgres://dermreview:hunter2-secret@db:notaport/x")

    assert result.returncode != 0
    assert "DATABASE_URL is not a valid database URL" in result.stderr
    assert "hunter2-secret" not in result.stderr


def test_settings_valid_env_values_reach_the_settings(tmp_path: Path) -> None:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'failures': s.AXES_FAILURE_LIMIT, 'lockout_s': s.AXES_COOLOFF_TIME.total_seconds(),"
        "'session_age': s.SESSION_COOKIE_AGE, 'upload_max': s.DERMREVIEW_UPLOAD_MAX_BYTES,"
        "'hosts': s.ALLOWED_HOSTS, 'db': [s.DATABASES['default'][k] for k in ('ENGINE', 'NAME', 'HOST', 'PORT')],"
        "'broker': s.CELERY_BROKER_URL, 'visibility': s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'],"
        "'media': str(s.MEDIA_ROOT), 'debug': s.DEBUG}))"
    )
    env = _clean_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="dermreview.settings.development",
        DERMREVIEW_LOGIN_FAILURE_LIMIT="3",
        DERMREVIEW_LOGIN_LOCKOUT_MINUTES="2",
        DERMREVIEW_SESSION_AGE_S="600",
        DERMREVIEW_UPLOAD_MAX_BYTES="1048576",
        DJANGO_ALLOWED_HOSTS="a.example.org, b.example.org",
        DATABASE_URL="postgres://derm:pw@db.internal:5433/dermreview",
        CELERY_BROKER_URL="redis://redis:6379/2",
        DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S="400",
        DERMREVIEW_RECONCILE_AFTER_S="900",
        DERMREVIEW_MEDIA_ROOT=str(tmp_path / "photos"),
        DJANGO_DEBUG="off",
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "failures": 3,
        "lockout_s": 120.0,
        "session_age": 600,
        "upload_max": 1048576,
        "hosts": ["a.example.org", "b.example.org"],
        "db": ["django.db.backends.postgresql", "dermreview", "db.internal", 5433],
        "broker": "redis://redis:6379/2",
        # Above the hard time limit, so Redis never redelivers a healthy long generation.
        "visibility": 520,
        "media": str(tmp_path / "photos"),
        "debug": False,
    }


def test_settings_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    # The broker's folder is made when Celery loads its configuration (dermreview/celery.py), not by settings.
    script = (
        "import json, os, django; django.setup(); from django.conf import settings as s;"
        "queue = s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']; before = os.path.isdir(queue);"
        "from dermreview.celery import app; app.conf.broker_url; print(json.dumps("
        "[s.DATABASES['default']['ENGINE'], str(s.DATABASES['default']['NAME']), s.CELERY_BROKER_URL,"
        " s.CELERY_TASK_ALWAYS_EAGER if hasattr(s, 'CELERY_TASK_ALWAYS_EAGER') else False,"
        " queue, before, os.path.isdir(queue)]))"
    )
    env = _clean_env(tmp_path, DJANGO_SETTINGS_MODULE="dermreview.settings.development")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    engine, name, broker, eager, queue, before, after = json.loads(result.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path.resolve() / "dermreview.sqlite3")
    assert broker == "filesystem://"
    assert eager is False  # real multi-process Celery, not eager mode
    assert queue == str(tmp_path.resolve() / "broker" / "queue")
    assert (before, after) == (False, True)


# --- production -------------------------------------------------------------------------------------

def test_settings_production_passes_check_deploy_without_warnings(tmp_path: Path) -> None:
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_settings_production_check_deploy_fails_when_https_redirect_is_switched_off(tmp_path: Path) -> None:
    # Proves the deploy check above is able to fail: a weakened setting is caught.
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING",
                     **_production_env(DJANGO_SECURE_SSL_REDIRECT="false"))

    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DERMREVIEW_AUDIT_KEY"])
def test_settings_production_refuses_to_start_without_required_values(tmp_path: Path, missing: str) -> None:
    env = _production_env()
    del env[missing]

    result = _manage(tmp_path, "check", **env)

    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_settings_production_healthz_is_not_redirected_to_https(tmp_path: Path) -> None:
    # The container healthcheck speaks plain HTTP to gunicorn; every other path goes to https.
    script = (
        "import django; django.setup(); from django.test import Client; c = Client();"
        "print(c.get('/healthz').status_code, c.get('/cases/').status_code, c.get('/cases/')['Location'])"
    )
    # No migration needed: /healthz only runs SELECT 1, and the https redirect happens before any query.
    env = _clean_env(tmp_path, **_production_env(DJANGO_ALLOWED_HOSTS="testserver"))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    healthz, cases, location = result.stdout.split()
    assert healthz == "200"
    assert cases == "301"
    assert location.startswith("https://testserver/cases/")


# --- the secret key and password hashing -------------------------------------------------------------

def test_settings_secret_key_is_generated_once_with_mode_600_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)

    first = secret_key_from_env_or_file(tmp_path)
    second = secret_key_from_env_or_file(tmp_path)

    path = tmp_path / "secret_key"
    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first


def test_settings_secret_key_from_the_environment_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 60)

    assert secret_key_from_env_or_file(tmp_path) == "k" * 60
    assert not (tmp_path / "secret_key").exists()


def test_settings_argon2_is_the_first_password_hasher() -> None:
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        assert make_password("correct horse battery staple").startswith("argon2$")


def test_settings_sessions_expire_when_idle_and_with_the_browser() -> None:
    assert base.SESSION_COOKIE_AGE == 8 * 3600
    assert base.SESSION_SAVE_EVERY_REQUEST is True
    assert base.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert base.SESSION_COOKIE_HTTPONLY is True


# --- every variable read is registered -------------------------------------------------------------

# Variables that are read but are not configuration: Django's own bootstrap switch, and a test-only escape.
_NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
_PREFIXES = "DERMREVIEW|DJANGO|CELERY|DATABASE|BERTSCORE|GUNICORN|HF_HUB"
# A variable name passed as the first argument of any call (env("X"), os.environ.get("X"), a helper such as
# registry_env("X", ...)), or used as a key of os.environ.
_READ_PATTERN = re.compile(
    rf"""\w\(\s*["']((?:{_PREFIXES})_[A-Z0-9_]+)["']\s*[,)]"""
    rf"""|environ\[\s*["']((?:{_PREFIXES})_[A-Z0-9_]+)["']\s*\]"""
)


def _variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    registry = ROOT / "dermreview" / "settings" / "variables"
    for path in [*(ROOT / "dermreview").rglob("*.py"), *(ROOT / "inference_worker").rglob("*.py"),
                 *(ROOT / "deploy").glob("*.py")]:
        if registry in path.parents:
            continue  # the entries themselves: finding them there would prove nothing
        for match in _READ_PATTERN.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    return names - _NOT_CONFIGURATION


def test_settings_the_scan_finds_the_variables_we_know_about() -> None:
    # Guards the scan itself: if the pattern broke, the registry tests below would pass vacuously.
    found = _variables_read_by_the_code()

    assert {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY", "DERMREVIEW_UPLOAD_MAX_BYTES",
            "DERMREVIEW_MODEL", "DERMREVIEW_DEMO_PASSWORD", "BERTSCORE_MODEL", "DERMREVIEW_HOST",
            "GUNICORN_BIND", "HF_HUB_OFFLINE"} <= found


def test_settings_every_variable_read_is_registered() -> None:
    # Registered means documented: .env.example and the README are generated from the registry.
    missing = sorted(_variables_read_by_the_code() - set(VARIABLES))

    assert missing == [], f"register these in dermreview/settings/variables/: {missing}"


def test_settings_every_registered_variable_is_read_somewhere() -> None:
    # A variable that became a constant (or was dropped) must leave the registry, or the docs would offer a knob
    # that does nothing. docker compose reads its own variables from docker-compose.yml.
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    read = _variables_read_by_the_code()
    unread = sorted(
        name for name, variable in VARIABLES.items()
        if name not in read and not (variable.read_by == COMPOSE and f"${{{name}" in compose)
    )

    assert unread == [], f"registered but never read: {unread}"
    assert {v.read_by for v in VARIABLES.values()} >= {SETTINGS, COMPOSE, GUNICORN}
