"""`ModelVersion`: the model configurations that may draft, one active per clinic or for the installation.

Empty after migrating: the first time drafting asks whether it may run, the configured model is registered as the
installation default (`drafting.services.gating.model_version_bootstrap`), so an upgraded installation keeps drafting.
"""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_clinic_admin_role'),
        ('drafting', '0003_draft_resolved_revision'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ModelVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model', models.CharField(help_text='Hub id or local path (DERMREVIEW_MODEL).', max_length=500)),
                ('model_revision', models.CharField(default='main', max_length=100)),
                ('base_model', models.CharField(blank=True, help_text="An adapter's base (DERMREVIEW_BASE_MODEL).", max_length=500)),
                ('base_model_revision', models.CharField(blank=True, max_length=100)),
                ('prompt_profile', models.CharField(default='card', max_length=500)),
                ('decoding', models.CharField(default='schema', max_length=8)),
                ('backend', models.CharField(default='transformers', max_length=20)),
                ('model_id', models.CharField(max_length=200)),
                ('identity_revision', models.CharField(max_length=100)),
                ('prompt_version', models.CharField(max_length=40)),
                ('resolved_revision', models.CharField(blank=True, help_text="The commit(s) a worker's loaded weights came from; blank until loaded.", max_length=200)),
                ('label', models.CharField(blank=True, max_length=200)),
                ('status', models.CharField(choices=[('candidate', 'Candidate'), ('active', 'Active'), ('retired', 'Retired')], default='candidate', max_length=12)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('activated_at', models.DateTimeField(blank=True, null=True)),
                ('retired_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organisation', models.ForeignKey(blank=True, help_text='The clinic this version is for; empty for the installation (its active one is the default).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'constraints': [models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('organisation', models.Value(0), output_field=models.BigIntegerField()), condition=models.Q(('status', 'active')), name='model_version_one_active_per_scope'), models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('organisation', models.Value(0), output_field=models.BigIntegerField()), models.F('model_id'), models.F('identity_revision'), models.F('prompt_version'), models.F('backend'), condition=models.Q(('status', 'retired'), _negated=True), name='model_version_unique_identity_per_scope'), models.CheckConstraint(condition=models.Q(('status__in', ['candidate', 'active', 'retired'])), name='model_version_status')],
            },
        ),
    ]
