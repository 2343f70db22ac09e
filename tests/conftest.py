"""Shared fixtures: factories, and the personas of the access tests.

Personas (as healthchecks' alice/bob/charlie): `alice` a clinician who owns the data, `bob` a reviewer in
the same clinic, `carol` an auditor in the same clinic, `dave` a second reviewer there, and `mallory` an
outsider with every role, in another clinic. Administrators: `adam` administers alice's clinic and `hana` mallory's
(the `clinic_admin` role, staff, not superusers); `oscar` is the installation's operator (a superuser, no clinic).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test.client import ClientMixin

from tests import factories
from tests.mfa import verify_session

_sql_flush = PostgresOperations.sql_flush


def _sql_flush_past_the_audit_guard(self, style, tables, **kwargs):  # noqa: ANN001, ANN003, ANN202
    """Transactional tests end with a flush (TRUNCATE of every table), which the audit table's TRUNCATE trigger
    refuses: the flush, run as the owner, lifts that one trigger inside its own transaction."""
    sql = _sql_flush(self, style, tables, **kwargs)
    if sql and "audit_auditevent" in tables:
        guard = "ALTER TABLE audit_auditevent {} TRIGGER audit_auditevent_no_truncate"
        sql = [guard.format("DISABLE"), *sql, guard.format("ENABLE")]
    return sql


PostgresOperations.sql_flush = _sql_flush_past_the_audit_guard

# Real Celery worker processes and the tiny model for the drafting tests (`start_worker`, `drafting_env`, ...).
# ... and a real OpenID Connect provider for the single sign-on tests (`oidc_provider`).
# ... and a real S3-compatible server, SeaweedFS, for photos in a bucket (`s3_server`, `s3_storage`).
# ... and a real DICOM archive, Orthanc with DICOMweb, for the pacs tests (`orthanc`, `dicom_archive`).
pytest_plugins = ["tests.worker_process", "tests.oidc_server", "tests.storage_server", "tests.orthanc_server"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgres_only` tests skip on SQLite, saying why; where PostgreSQL is required (.ci/run sets
    DERMREVIEW_REQUIRE_POSTGRES=1) a run on SQLite is an error, so they can never be skipped silently."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    if os.environ.get("DERMREVIEW_REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError("DERMREVIEW_REQUIRE_POSTGRES=1 but DATABASE_URL is not a postgres:// URL")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings: None) -> None:
    """Make VAR_DIR, home of the SQLite test database, before pytest-django creates it: settings make no folder on
    import, and a fresh clone has no var/ (when DJANGO_SECRET_KEY is set, nothing else makes it either)."""
    from django.conf import settings

    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _private_media_root(settings: object, tmp_path: Path) -> Path:
    """Each test writes photos into its own folder, never into var/media."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root  # type: ignore[attr-defined]
    return root


@pytest.fixture
def organisation_factory() -> type[factories.OrganisationFactory]:
    return factories.OrganisationFactory


@pytest.fixture
def user_factory() -> type[factories.UserFactory]:
    return factories.UserFactory


@pytest.fixture
def case_factory() -> type[factories.CaseFactory]:
    return factories.CaseFactory


@pytest.fixture
def image_factory() -> type[factories.LesionImageFactory]:
    return factories.LesionImageFactory


@pytest.fixture
def draft_factory() -> type[factories.DraftFactory]:
    return factories.DraftFactory


@pytest.fixture
def review_factory() -> type[factories.ReviewFactory]:
    return factories.ReviewFactory


@pytest.fixture
def blind_finding_factory() -> type[factories.BlindFindingFactory]:
    return factories.BlindFindingFactory


@pytest.fixture
def agreement_score_factory() -> type[factories.AgreementScoreFactory]:
    return factories.AgreementScoreFactory


@pytest.fixture
def clinic(db: None) -> factories.OrganisationFactory:
    return factories.OrganisationFactory(name="Riverside Dermatology", slug="riverside")


@pytest.fixture
def other_clinic(db: None) -> factories.OrganisationFactory:
    return factories.OrganisationFactory(name="Hilltop Skin Clinic", slug="hilltop")


@pytest.fixture
def alice(clinic):  # noqa: ANN001, ANN201 - the owner: a clinician
    return factories.UserFactory(username="alice", organisation=clinic, roles=["clinician"])


@pytest.fixture
def bob(clinic):  # noqa: ANN001, ANN201 - a colleague: reviewer in the same clinic
    return factories.UserFactory(username="bob", organisation=clinic, roles=["reviewer"])


@pytest.fixture
def dave(clinic):  # noqa: ANN001, ANN201 - a second reviewer in the same clinic
    return factories.UserFactory(username="dave", organisation=clinic, roles=["reviewer"])


@pytest.fixture
def erin(clinic):  # noqa: ANN001, ANN201 - a third reviewer in the same clinic (adjudicates bob's and dave's)
    return factories.UserFactory(username="erin", organisation=clinic, roles=["reviewer"])


@pytest.fixture
def carol(clinic):  # noqa: ANN001, ANN201 - an auditor in the same clinic
    return factories.UserFactory(username="carol", organisation=clinic, roles=["auditor"])


@pytest.fixture
def mallory(other_clinic):  # noqa: ANN001, ANN201 - an outsider holding every role, in another clinic
    return factories.UserFactory(
        username="mallory", organisation=other_clinic, roles=["clinician", "reviewer", "auditor"]
    )


@pytest.fixture
def adam(clinic):  # noqa: ANN001, ANN201 - the administrator of alice's clinic
    return factories.UserFactory(username="adam", organisation=clinic, roles=["clinic_admin"])


@pytest.fixture
def hana(other_clinic):  # noqa: ANN001, ANN201 - the administrator of mallory's clinic
    return factories.UserFactory(username="hana", organisation=other_clinic, roles=["clinic_admin"])


@pytest.fixture
def oscar(db):  # noqa: ANN001, ANN201 - the installation's operator: a superuser without a clinic
    return factories.UserFactory(username="oscar", organisation=None, roles=["operator"])


@pytest.fixture
def alice_case(alice):  # noqa: ANN001, ANN201
    return factories.CaseFactory(organisation=alice.organisation, created_by=alice)


@pytest.fixture
def alice_image(alice_case):  # noqa: ANN001, ANN201
    return factories.LesionImageFactory(case=alice_case, uploaded_by=alice_case.created_by)


@pytest.fixture(autouse=True)
def _force_login_passes_mfa(monkeypatch: pytest.MonkeyPatch) -> None:
    """`force_login` skips the password; here it skips the second factor too, the way django_otp.login passes it:
    the session is marked verified with a real authenticator of the user (tests/mfa.py), for users who have or
    need one. Two-factor authentication stays enforced: a log-in through the forms (the MFA tests, the browser
    journeys) must enter a real code, and an unverified session is refused everywhere."""
    force_login = ClientMixin.force_login

    def force_login_with_second_factor(self, user, backend=None) -> None:  # noqa: ANN001
        force_login(self, user, backend)
        verify_session(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login_with_second_factor)


@pytest.fixture
def client_for(client):  # noqa: ANN001, ANN201
    """`client_for(user)` returns the test client logged in as that user, past the second factor when their role
    requires one (see `_force_login_passes_mfa`)."""

    def login(user):  # noqa: ANN001, ANN202
        client.force_login(user)
        return client

    return login
