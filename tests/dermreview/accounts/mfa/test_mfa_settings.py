"""DERMREVIEW_MFA_REQUIRED_ROLES: a name that is no role stops start-up instead of silently requiring nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def _settings_with(tmp_path: Path, roles: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DERMREVIEW_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "dermreview.settings.testing",
           "DERMREVIEW_MFA_REQUIRED_ROLES": roles}
    script = "from django.conf import settings; print(settings.DERMREVIEW_MFA_REQUIRED_ROLES)"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_mfa_required_roles_setting_takes_known_roles_and_refuses_a_typo(tmp_path: Path) -> None:
    ok = _settings_with(tmp_path, "reviewer, operator")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "['reviewer', 'operator']"

    typo = _settings_with(tmp_path, "reviewer,auditors")
    assert typo.returncode != 0
    assert "DERMREVIEW_MFA_REQUIRED_ROLES" in typo.stderr and "auditors" in typo.stderr


def test_mfa_role_names_of_the_setting_are_the_roles() -> None:
    from dermreview.accounts.roles import Role
    from dermreview.settings.security import MFA_ROLE_NAMES

    assert {role.value for role in Role} == MFA_ROLE_NAMES
