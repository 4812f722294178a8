from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """The claim of due cluster replies (every 5 s) reads only the rows still waiting for their slot; built
    without blocking the answers being written (CONCURRENTLY, outside a transaction)."""

    atomic = False

    dependencies = [
        ("inbox", "0026_mention_queue_in_queue_order"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="clusterreply",
            index=models.Index(
                condition=models.Q(("state", "scheduled")), fields=["scheduled_at"], name="cluster_reply_due"
            ),
        ),
    ]
