"""The clinic administrator becomes a role of its own (`clinic_admin` group); a superuser becomes the operator.

Until now the administrator of a clinic was a Django superuser with an organisation, and a superuser held every
role. From now on a superuser is the installation's operator and holds no clinic role of their own right (see
dermreview/accounts/roles.py). So that no existing installation loses its administrator's access, every
superuser who belongs to an organisation joins all of that organisation's role groups here: clinician, reviewer,
auditor and clinic_admin, which is exactly what they could do before. Superusers without an organisation saw no
clinic's data before either and stay plain operators.
"""

from __future__ import annotations

from django.db import migrations

CLINIC_ROLES = ("clinician", "reviewer", "auditor", "clinic_admin")


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("accounts", "User")
    groups = [Group.objects.get_or_create(name=name)[0] for name in CLINIC_ROLES]
    for user in User.objects.filter(is_superuser=True, organisation__isnull=False):
        user.groups.add(*groups)


def backwards(apps, schema_editor):
    # The superusers keep their clinical groups (harmless: superusers held every role before this migration).
    apps.get_model("auth", "Group").objects.filter(name="clinic_admin").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_role_groups")]
    operations = [migrations.RunPython(forwards, backwards)]
