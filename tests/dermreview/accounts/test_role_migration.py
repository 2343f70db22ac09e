"""Migration accounts 0003: the clinic administrator role appears, and the administrators of earlier versions
(superusers with a clinic) keep what they could do there by holding every clinic role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dermreview.accounts.models import User
from dermreview.accounts.roles import Role, roles_of
from tests.migration_helpers import migrate_to_latest


@pytest.mark.django_db(transaction=True)
def test_earlier_admins_keep_their_access_and_operators_get_no_clinic_role(clinic) -> None:  # noqa: ANN001
    MigrationExecutor(connection).migrate([("accounts", "0002_role_groups")])
    Group.objects.filter(name="clinic_admin").delete()
    admin = User.objects.create_superuser("root", "root@example.org", "a long passphrase 1", organisation=clinic)
    operator = User.objects.create_superuser("ops", "ops@example.org", "a long passphrase 2")

    migrate_to_latest()  # accounts 0003, and every app the rollback took back with it

    assert Group.objects.filter(name="clinic_admin").exists()
    assert roles_of(User.objects.get(pk=admin.pk)) == frozenset(Role)
    assert roles_of(User.objects.get(pk=operator.pk)) == frozenset({Role.OPERATOR})
