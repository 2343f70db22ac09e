"""The drafting kill switch per clinic: `DraftingControl.organisation` (empty: the global switch).

The single row of earlier versions (pk=1, the only one they read) becomes the global switch, on or off as it was.
Rows beside it, which nothing ever read, are removed so that the one-switch-per-scope index can be built.
"""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


def keep_one_global_switch(apps, schema_editor):  # noqa: ANN001, ANN201
    DraftingControl = apps.get_model("drafting", "DraftingControl")
    rows = DraftingControl.objects.order_by("pk")
    keep = rows.filter(pk=1).first() or rows.first()
    if keep is not None:
        rows.exclude(pk=keep.pk).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_role_groups"),
        ("drafting", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="draftingcontrol",
            name="organisation",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                to="accounts.organisation",
                help_text="The clinic this switch is for; empty for the global switch of the whole installation.",
            ),
        ),
        migrations.RunPython(keep_one_global_switch, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="draftingcontrol",
            constraint=models.UniqueConstraint(
                django.db.models.functions.comparison.Coalesce(
                    "organisation", models.Value(0), output_field=models.BigIntegerField()),
                name="drafting_control_one_per_scope",
            ),
        ),
    ]
