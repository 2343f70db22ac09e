"""Importing settings creates no folder: var/, the broker folder and the media root appear only where needed."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFIG_PREFIXES = ("DERMREVIEW_", "DJANGO_", "CELERY_", "DATABASE_", "BERTSCORE_")


def _load_settings(var_dir: Path, module: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(CONFIG_PREFIXES)}
    env.update(DERMREVIEW_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE=module, **overrides)
    # django.setup() imports the settings, every app and the Celery app, as any manage.py command does.
    script = "import django; django.setup(); from django.conf import settings; print(settings.MEDIA_ROOT)"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(
    "module", ["dermreview.settings.development", "dermreview.settings.testing", "dermreview.settings.production"]
)
def test_settings_import_creates_no_folder(tmp_path: Path, module: str) -> None:
    var_dir = tmp_path / "not-yet"

    result = _load_settings(var_dir, module, DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
                            DJANGO_ALLOWED_HOSTS="dermreview.example.org", DERMREVIEW_AUDIT_KEY=secrets.token_hex(32))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(str(Path("not-yet") / "media"))
    assert not var_dir.exists()


def test_settings_import_without_a_key_writes_only_the_key(tmp_path: Path) -> None:
    var_dir = tmp_path / "not-yet"

    result = _load_settings(var_dir, "dermreview.settings.development")

    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in var_dir.iterdir()) == ["secret_key"]  # no broker/, no media/


def test_settings_production_without_a_key_writes_nothing(tmp_path: Path) -> None:
    var_dir = tmp_path / "not-yet"

    result = _load_settings(var_dir, "dermreview.settings.production", DJANGO_ALLOWED_HOSTS="dermreview.example.org")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr
    assert not var_dir.exists()  # refused before a key file was generated
