"""The outgoing webhook models moved to the `integrations` app. Only Django's state changes here: the
tables stay where they are and `integrations` 0001 takes them over under the same names."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('crisisdesk', '0002_webhooks'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='WebhookDelivery'),
                migrations.DeleteModel(name='WebhookEndpoint'),
            ],
            database_operations=[],
        ),
    ]
