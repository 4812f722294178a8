from django.db import migrations, models

OLD = models.Index(fields=["channel", "conversation_id"], name="mention_thread")
NEW = models.Index(fields=["channel", "conversation_id", "posted_at", "id"], name="mention_thread")


def _swap(schema_editor, model, *, drop: models.Index, build: models.Index) -> None:
    """On PostgreSQL without blocking ingestion (CONCURRENTLY, outside a transaction); elsewhere plainly."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, drop, concurrently=True)
        schema_editor.add_index(model, build, concurrently=True)
    else:
        schema_editor.remove_index(model, drop)
        schema_editor.add_index(model, build)


def forwards(apps, schema_editor):
    _swap(schema_editor, apps.get_model("inbox", "Mention"), drop=OLD, build=NEW)


def backwards(apps, schema_editor):
    _swap(schema_editor, apps.get_model("inbox", "Mention"), drop=NEW, build=OLD)


class Migration(migrations.Migration):
    """`mention_thread` in the thread's order (posted at, then id): an escalation's context reads a conversation's
    first 20, and on a post with 60,000 comments that read every one of them to sort (docs/PERFORMANCE.md)."""

    atomic = False

    dependencies = [
        ("inbox", "0027_cluster_reply_due"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="mention", name="mention_thread"),
                migrations.AddIndex(model_name="mention", index=NEW),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
