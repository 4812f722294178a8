"""Indexes the benchmarks showed the inbox and the dashboard need at millions of mentions (PostgreSQL only).

- `mention_open_recent`: the inbox's default view (open, not hidden, newest first), "mine", and
  the dashboard's unanswered count (an index-only scan thanks to INCLUDE) read only the open rows
  instead of the whole table.
- `mention_received_brin`: time-range scans over months of mentions for a few kilobytes of index.
- `mention_first_response`: first-response percentiles over the last 24 hours.
SQLite (the embedded demo) holds too little data to need them. See docs/PERFORMANCE.md.
"""

from django.db import migrations

INDEXES = {
    "mention_open_recent": (
        "CREATE INDEX IF NOT EXISTS mention_open_recent ON inbox_mention (received_at DESC, id DESC) "
        "INCLUDE (status, assignee_id) WHERE status IN ('new', 'assigned', 'escalated') AND NOT is_hidden"
    ),
    "mention_received_brin": (
        "CREATE INDEX IF NOT EXISTS mention_received_brin ON inbox_mention USING brin (received_at) "
        "WITH (pages_per_range = 32)"
    ),
    "mention_first_response": (
        "CREATE INDEX IF NOT EXISTS mention_first_response ON inbox_mention (first_response_at) "
        "WHERE first_response_at IS NOT NULL"
    ),
}


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in INDEXES.values():
        schema_editor.execute(statement)


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0003_mention_search_vector_reply_sending"),
    ]

    operations = [
        migrations.RunPython(indexes_create, indexes_drop),
    ]
