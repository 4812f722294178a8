from django.db import migrations, models

DUE = models.Index(condition=models.Q(("state", "scheduled")), fields=["scheduled_at"], name="cluster_reply_due")


def forwards(apps, schema_editor):
    """On PostgreSQL without blocking the answers being written (CONCURRENTLY); elsewhere (SQLite) plainly."""
    model = apps.get_model("inbox", "ClusterReply")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, DUE, concurrently=True)
    else:
        schema_editor.add_index(model, DUE)


def backwards(apps, schema_editor):
    model = apps.get_model("inbox", "ClusterReply")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, DUE, concurrently=True)
    else:
        schema_editor.remove_index(model, DUE)


class Migration(migrations.Migration):
    """The claim of due cluster replies (every 5 s) reads only the rows still waiting for their slot."""

    atomic = False

    dependencies = [
        ("inbox", "0026_mention_queue_in_queue_order"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="clusterreply", index=DUE)],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
