"""The demo clinic that `make run` creates so a new user can log in at once."""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Group
from django.db import transaction

from dermreview.accounts.models import Organisation, User
from dermreview.accounts.roles import Role

# `admin` administers Demo Clinic (its users and settings); `operator` runs the installation (a superuser without
# a clinic: workers, the global drafting switch, organisations) and sees no patient data.
DEMO_USERS: dict[str, Role] = {
    "clinician": Role.CLINICIAN,
    "reviewer": Role.REVIEWER,
    "reviewer2": Role.REVIEWER,
    "auditor": Role.AUDITOR,
    "admin": Role.CLINIC_ADMIN,
    "operator": Role.OPERATOR,
}


@dataclass(frozen=True)
class DemoCredentials:
    password: str
    generated: bool
    path: Path


def _password_from(path: Path) -> str | None:
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("password:"):
            return line.split(":", 1)[1].strip()
    return None


# Two-factor authentication is on for every role but clinician (DERMREVIEW_MFA_REQUIRED_ROLES).
MFA_NOTE = ("Reviewers, auditors, the clinic admin and the operator set up an authenticator app (TOTP) at their "
            "first log-in and are shown recovery codes once; clinician logs in with the password alone.")


def _write_credentials(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ("DermReview demo accounts (local use only)\nusers: " + ", ".join(DEMO_USERS) + f"\npassword: {password}\n"
            + MFA_NOTE + "\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(body)
    path.chmod(0o600)


@transaction.atomic
def demo_environment_ensure(*, credentials_path: Path, password: str | None = None) -> DemoCredentials:
    """Create the demo organisation and one user per role; safe to run on every start.

    The password comes from the argument (DERMREVIEW_DEMO_PASSWORD), else from the credentials file of an
    earlier run, else it is generated and written to that file with mode 600.
    """
    generated = False
    if password is None:
        password = _password_from(credentials_path)
    if password is None:
        password = secrets.token_urlsafe(12)
        generated = True
    organisation, _ = Organisation.objects.get_or_create(slug="demo-clinic", defaults={"name": "Demo Clinic"})
    for username, role in DEMO_USERS.items():
        operator = role is Role.OPERATOR
        user, _ = User.objects.get_or_create(username=username)
        user.organisation = None if operator else organisation
        user.is_superuser = operator
        user.is_staff = role in (Role.OPERATOR, Role.CLINIC_ADMIN)
        if not user.check_password(password):
            user.set_password(password)
        user.save()
        # Exactly the demo role (an earlier demo made `admin` a superuser in every role).
        user.groups.set([] if operator else [Group.objects.get_or_create(name=role.value)[0]])
    _write_credentials(credentials_path, password)
    return DemoCredentials(password=password, generated=generated, path=credentials_path)
