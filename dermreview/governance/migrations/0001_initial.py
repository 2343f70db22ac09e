"""Model governance: shadow evaluations (runs and their items) and the approvals that activate model versions."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_clinic_admin_role'),
        ('cases', '0006_lesionimage_display'),
        ('drafting', '0004_model_version'),
        ('review', '0007_review_adjudication_proposal'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EvaluationRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('since', models.DateField(help_text='Cases whose final sign-off is on or after this day.')),
                ('limit', models.PositiveIntegerField(blank=True, help_text='At most this many cases (the latest).', null=True)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('drafting', 'Drafting'), ('scoring', 'Scoring'), ('finished', 'Finished'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='queued', max_length=12)),
                ('cases', models.PositiveIntegerField(default=0)),
                ('total', models.PositiveIntegerField(default=0, help_text='Items to draft: photos × versions.')),
                ('done', models.PositiveIntegerField(default=0)),
                ('results', models.JSONField(blank=True, default=dict)),
                ('error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('baseline', models.ForeignKey(blank=True, help_text="The clinic's approved version when the run started, scored on the same photos.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='drafting.modelversion')),
                ('candidate', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='evaluations', to='drafting.modelversion')),
                ('organisation', models.ForeignKey(help_text='The clinic whose signed cases are the test set.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='EvaluationItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('side', models.CharField(choices=[('candidate', 'Candidate'), ('baseline', 'Active version')], max_length=10)),
                ('truth', models.JSONField(default=dict)),
                ('true_class', models.CharField(blank=True, max_length=64)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('claimed', 'Claimed'), ('done', 'Done')], default='pending', max_length=8)),
                ('claim_token', models.CharField(blank=True, max_length=64)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('finding', models.JSONField(blank=True, help_text='The six fields drafted; empty when it failed.', null=True)),
                ('raw_output', models.TextField(blank=True)),
                ('failure_kind', models.CharField(blank=True, max_length=24)),
                ('failure_message', models.TextField(blank=True)),
                ('predicted_class', models.CharField(blank=True, max_length=64)),
                ('resolved_revision', models.CharField(blank=True, max_length=200)),
                ('generate_ms', models.FloatField(blank=True, null=True)),
                ('output_tokens', models.PositiveIntegerField(blank=True, null=True)),
                ('drafted_at', models.DateTimeField(blank=True, null=True)),
                ('scores', models.JSONField(blank=True, default=dict, help_text='BERTScore F1 per field against the truth.')),
                ('exact', models.JSONField(blank=True, default=dict, help_text='Exact match (normalised) per field.')),
                ('scored_at', models.DateTimeField(blank=True, null=True)),
                ('image', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.lesionimage')),
                ('review', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='review.review')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='governance.evaluationrun')),
            ],
            options={
                'ordering': ['run', 'side', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='Approval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('bootstrap', 'Bootstrap (no evaluation)'), ('gate', 'Passed the gate'), ('override', 'Override of the gate')], max_length=10)),
                ('override_reason', models.TextField(blank=True)),
                ('failed_checks', models.JSONField(blank=True, default=list)),
                ('note', models.TextField(blank=True)),
                ('figures', models.JSONField(blank=True, default=dict)),
                ('decided_at', models.DateTimeField(auto_now_add=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organisation', models.ForeignKey(blank=True, help_text='The clinic; empty for the installation default.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
                ('previous', models.ForeignKey(blank=True, help_text='The version it replaced (retired by this approval).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='drafting.modelversion')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='approvals', to='drafting.modelversion')),
                ('run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='approvals', to='governance.evaluationrun')),
            ],
            options={
                'ordering': ['-decided_at', '-pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='evaluationrun',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'drafting', 'scoring', 'finished', 'failed', 'cancelled'])), name='evaluation_run_status'),
        ),
        migrations.AddIndex(
            model_name='evaluationitem',
            index=models.Index(fields=['run', 'status'], name='evaluation_item_run_status'),
        ),
        migrations.AddConstraint(
            model_name='evaluationitem',
            constraint=models.UniqueConstraint(fields=('run', 'side', 'image'), name='evaluation_item_one_per_side_photo'),
        ),
        migrations.AddConstraint(
            model_name='approval',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['bootstrap', 'gate', 'override'])), name='approval_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='approval',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'override'), _negated=True), models.Q(('override_reason', ''), _negated=True), _connector='OR'), name='approval_override_has_reason'),
        ),
    ]
