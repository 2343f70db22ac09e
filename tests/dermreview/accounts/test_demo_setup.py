"""`manage.py demo_setup`, run by every `make run`: idempotent demo clinic and one user per role."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from django.core.management import call_command

from dermreview.accounts.models import Organisation, User
from dermreview.accounts.roles import Role, roles_of
from dermreview.accounts.services.demo import DEMO_USERS
from tests.factories import UserFactory

EXPECTED_ROLES = {
    "clinician": {Role.CLINICIAN},
    "reviewer": {Role.REVIEWER},
    "reviewer2": {Role.REVIEWER},
    "auditor": {Role.AUDITOR},
    "admin": {Role.CLINIC_ADMIN},  # administers Demo Clinic's users and settings; not a superuser
    "operator": {Role.OPERATOR},  # runs the installation: a superuser without a clinic
}


@pytest.fixture
def var_dir(settings, tmp_path: Path) -> Path:  # noqa: ANN001
    settings.VAR_DIR = tmp_path
    return tmp_path


def _run() -> str:
    out = io.StringIO()
    call_command("demo_setup", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_setup_generates_a_password_prints_it_once_and_keeps_it_private(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DERMREVIEW_DEMO_PASSWORD", raising=False)

    first = _run()

    credentials = var_dir / "demo-credentials.txt"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    password = next(
        line.split(":", 1)[1].strip() for line in credentials.read_text().splitlines() if line.startswith("password:")
    )
    assert len(password) >= 12
    assert password in first
    second = _run()
    assert password not in second  # printed once only
    assert str(credentials) in second
    for username in DEMO_USERS:
        assert User.objects.get(username=username).check_password(password), username


@pytest.mark.django_db
def test_demo_setup_is_idempotent(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DERMREVIEW_DEMO_PASSWORD", raising=False)
    _run()
    ids = dict(User.objects.values_list("username", "pk"))
    password = (var_dir / "demo-credentials.txt").read_text()

    _run()

    assert Organisation.objects.filter(slug="demo-clinic").count() == 1
    assert dict(User.objects.values_list("username", "pk")) == ids
    assert (var_dir / "demo-credentials.txt").read_text() == password
    assert User.objects.get(username="clinician").groups.count() == 1


@pytest.mark.django_db
def test_demo_setup_uses_the_configured_password(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERMREVIEW_DEMO_PASSWORD", "demo passphrase for tests")

    output = _run()

    assert "demo passphrase for tests" not in output  # chosen by the operator: nothing to announce
    for username in DEMO_USERS:
        assert User.objects.get(username=username).check_password("demo passphrase for tests")
    assert "password: demo passphrase for tests" in (var_dir / "demo-credentials.txt").read_text()


@pytest.mark.django_db
def test_demo_setup_gives_each_demo_user_its_role_in_the_demo_clinic(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DERMREVIEW_DEMO_PASSWORD", "demo passphrase for tests")
    _run()

    clinic = Organisation.objects.get(slug="demo-clinic")
    assert set(DEMO_USERS) == set(EXPECTED_ROLES)
    for username, roles in EXPECTED_ROLES.items():
        user = User.objects.get(username=username)
        assert user.organisation == (None if username == "operator" else clinic), username
        assert set(roles_of(user)) == roles, username
    admin, operator = User.objects.get(username="admin"), User.objects.get(username="operator")
    assert admin.is_staff and not admin.is_superuser
    assert operator.is_staff and operator.is_superuser
    assert not User.objects.get(username="clinician").is_staff


@pytest.mark.django_db
def test_demo_setup_turns_an_earlier_superuser_admin_into_the_clinic_admin(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DERMREVIEW_DEMO_PASSWORD", "demo passphrase for tests")
    clinic = Organisation.objects.create(slug="demo-clinic", name="Demo Clinic")
    # An earlier demo's admin, after migration accounts 0003: a superuser holding every clinic role.
    UserFactory(username="admin", organisation=clinic, roles=["admin"])

    _run()

    admin = User.objects.get(username="admin")
    assert not admin.is_superuser and set(roles_of(admin)) == {Role.CLINIC_ADMIN}


@pytest.mark.django_db
def test_demo_setup_demo_users_can_log_in(client, var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("DERMREVIEW_DEMO_PASSWORD", "demo passphrase for tests")
    _run()

    response = client.post("/accounts/login/", {"username": "reviewer", "password": "demo passphrase for tests"})

    assert response.status_code == 302
