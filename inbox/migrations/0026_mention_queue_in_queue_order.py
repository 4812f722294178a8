from django.db import migrations, models

OLD = models.Index(fields=["status", "-priority", "-received_at"], name="mention_queue")
NEW = models.Index(fields=["status", "-priority", "received_at", "id"], name="mention_queue")


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
    """`mention_queue` in the work queue's order (priority descending, then oldest first): one status over a
    year of history sorted 14 million rows without it (docs/PERFORMANCE.md, "A year of mentions")."""

    atomic = False

    dependencies = [
        ("inbox", "0025_mention_response_stats"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="mention", name="mention_queue"),
                migrations.AddIndex(model_name="mention", index=NEW),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
