"""The outgoing webhook models, taken over from `crisisdesk` (its migrations 0002 and 0003) without
touching the database: the tables keep their names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('crisisdesk', '0003_webhooks_to_integrations'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(blank=True, max_length=100)),
                        ('url', models.URLField(max_length=500)),
                        ('events', models.JSONField(default=list, help_text='Event types this endpoint receives.')),
                        ('secret', models.CharField(editable=False, max_length=64)),
                        ('format', models.CharField(choices=[('json', 'JSON (signed)'), ('slack', 'Slack-compatible')], default='json', max_length=8)),
                        ('min_priority', models.PositiveSmallIntegerField(default=80, help_text='For mention.priority_above: mentions at or above this priority (0–100).')),
                        ('is_active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'crisisdesk_webhookendpoint',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_type', models.CharField(choices=[('crisis.declared', 'Crisis declared'), ('crisis.level_changed', 'Crisis level changed'), ('crisis.resolved', 'Crisis resolved'), ('escalation.overdue', 'Escalation overdue'), ('mention.priority_above', 'Mention above a priority')], max_length=64)),
                        ('event_id', models.UUIDField()),
                        ('payload', models.JSONField()),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], default='pending', max_length=16)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='integrations.webhookendpoint')),
                    ],
                    options={
                        'db_table': 'crisisdesk_webhookdelivery',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='webhook_delivery_due')],
                        'constraints': [models.UniqueConstraint(fields=('endpoint', 'event_id'), name='webhook_delivery_once_per_endpoint')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
