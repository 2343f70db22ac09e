"""`Case.claimed_at`: when the current claim was taken, so the server measures time on task from the claim."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def backfill_held_claims(apps, schema_editor):  # noqa: ANN001, ANN201
    # Claims held while this migration runs began at most DERMREVIEW_CLAIM_MINUTES before they expire (every claim
    # and renewal sets the expiry that far ahead): the earliest start they can have had, so a reviewer who is
    # mid-review during the upgrade can still sign.
    Case = apps.get_model("cases", "Case")
    length = timedelta(minutes=settings.DERMREVIEW_CLAIM_MINUTES)
    held = Case.objects.filter(claimed_by__isnull=False, claim_expires_at__isnull=False, claimed_at__isnull=True)
    for pk, expires in held.values_list("pk", "claim_expires_at").iterator():
        Case.objects.filter(pk=pk).update(claimed_at=expires - length)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="claimed_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the current claim was taken: time on task runs from it. Renewing one's own "
                          "unexpired claim keeps it; meaningful only while the claim holds.",
                null=True,
            ),
        ),
        migrations.RunPython(backfill_held_claims, migrations.RunPython.noop),
    ]
