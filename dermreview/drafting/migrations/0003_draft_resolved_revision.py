"""`Draft.resolved_revision`: the commit(s) the engine's loaded weights came from, as it reported them.

Blank on existing drafts: their engines did not report it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("drafting", "0002_drafting_control_per_clinic"),
    ]

    operations = [
        migrations.AddField(
            model_name="draft",
            name="resolved_revision",
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
