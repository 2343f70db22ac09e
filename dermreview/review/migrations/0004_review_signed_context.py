from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0003_review_resolution"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="signed_context",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What the finding was signed against, as it stood at sign-off: the case's patient reference, body site, lesion label and lock version, and each photo's id, checksum and capture type. Exports read this.",
            ),
        ),
    ]
