"""The raw SQL of ingestion: one multi-row INSERT … ON CONFLICT per batch of authors and of mentions, and
one UPDATE for the authors' profiles and history, where the ORM would write a row at a time."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from django.db import connection

from crisisdesk.text import clean_display_name
from inbox.connectors.base import NormalizedMention
from inbox.models import Author, Mention


def _authors_upsert(*, platform: str, items: list[NormalizedMention]) -> dict[str, Author]:
    """Insert the authors never seen before and read the others, without locking a single row.

    The returned history (mentions so far, times hidden as a troll) feeds triage. Rows are locked
    only at the end of the batch (`_authors_refresh`), so concurrent batches sharing authors overlap
    their work instead of queueing behind each other's whole transaction.
    """
    by_id = _authors_build(platform=platform, items=items)
    _authors_insert(by_id)
    known = [external_id for external_id, author in by_id.items() if author.pk is None]
    if known:
        history = "id, external_id, mention_count, complaint_count, hidden_as_troll_count"
        _authors_history_set(
            by_id,
            Author.objects.filter(platform=platform, external_id__in=known).values_list(*history.split(", ")),
        )
    return by_id


def _authors_build(*, platform: str, items: list[NormalizedMention]) -> dict[str, Author]:
    """The batch's authors as unsaved rows, by external id."""
    by_id: dict[str, Author] = {}
    for item in items:
        author = item.author
        by_id[author.external_id] = Author(
            platform=platform,
            external_id=author.external_id,
            handle=author.handle[:128],
            display_name=clean_display_name(author.display_name)[:200],
            followers=max(0, int(author.followers or 0)),
            verified=bool(author.verified),
            account_created_at=author.account_created_at,
        )
    return by_id


def _authors_insert(by_id: dict[str, Author]) -> None:
    """INSERT … ON CONFLICT DO NOTHING in external-id order; the rows really inserted get their id."""
    authors = sorted(by_id.values(), key=lambda author: author.external_id)
    fields = [field for field in Author._meta.concrete_fields if not field.primary_key]
    preparers = [_db_value(field) for field in fields]
    table = connection.ops.quote_name(Author._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    history = "id, external_id, mention_count, complaint_count, hidden_as_troll_count"
    with connection.cursor() as cursor:
        for start in range(0, len(authors), _insert_batch_size(len(fields))):
            chunk = authors[start : start + _insert_batch_size(len(fields))]
            params = [
                prepare(field.pre_save(author, True))
                for author in chunk
                for field, prepare in zip(fields, preparers, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT (platform, external_id) DO NOTHING RETURNING {history}",
                params,
            )
            _authors_history_set(by_id, cursor.fetchall())


def _authors_history_set(by_id: dict[str, Author], history_rows) -> None:
    for author_id, external_id, mention_count, complaint_count, hidden_count in history_rows:
        author = by_id[external_id]
        author.pk = author_id
        author.mention_count = mention_count
        author.complaint_count = complaint_count
        author.hidden_as_troll_count = hidden_count
        author._state.adding = False


def _authors_refresh(authors: dict[str, Author], new_rows: list[dict[str, Any]]) -> None:
    """Refresh every author's profile and add the batch's new mentions to their history: one UPDATE.

    This is where the authors are locked, in id order (two batches never deadlock), late in the
    transaction so the locks are held only until the commit that follows.
    """
    mentions = Counter(row["author_id"] for row in new_rows)
    complaints = Counter(row["author_id"] for row in new_rows if row["category"] == "complaint")
    ordered = sorted(authors.values(), key=lambda author: author.pk)
    # FOR NO KEY UPDATE, as the UPDATE itself takes: a plain FOR UPDATE would also block the foreign-key
    # checks of a concurrent batch's mentions (FOR KEY SHARE on their authors) until this commit.
    locked = (
        Author.objects.select_for_update(no_key=True).filter(pk__in=[author.pk for author in ordered]).order_by("pk")
    )
    list(locked.values_list("pk", flat=True))
    table = connection.ops.quote_name(Author._meta.db_table)
    params = [
        value
        for author in ordered
        for value in (
            *(author.pk, author.handle, author.display_name, author.followers, author.verified),
            *(mentions.get(author.pk, 0), complaints.get(author.pk, 0)),
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH batch(author_id, handle, display_name, followers, verified, mentions, complaints) AS "
            f"(VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(ordered))}) "
            f"UPDATE {table} SET handle = batch.handle, display_name = batch.display_name, "
            f"followers = batch.followers, verified = batch.verified, "
            f"mention_count = {table}.mention_count + batch.mentions, "
            f"complaint_count = {table}.complaint_count + batch.complaints "
            f"FROM batch WHERE {table}.id = batch.author_id",
            params,
        )


def _mentions_insert(rows: dict[str, dict[str, Any]]) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT (channel, external_id) DO NOTHING RETURNING id, external_id.

    On PostgreSQL the batch travels as one JSON document expanded by `jsonb_to_recordset`, and the
    full-text vector is computed in the same INSERT, so each row is written once. Measured against a
    VALUES list of ~13,000 parameters: the driver's quoting of every value was about a quarter of
    the statement's cost, and the server's parsing of the long statement most of the rest
    (docs/PERFORMANCE.md, "One JSON document per batch").
    """
    first = next(iter(rows.values()))
    fields = [field for field in Mention._meta.concrete_fields if field.column != "id" and field.attname in first]
    if connection.vendor == "postgresql":
        return _mentions_insert_document(fields, list(rows.values()))
    preparers = [_db_value(field) for field in fields]
    names = [connection.ops.quote_name(field.column) for field in fields]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = connection.ops.quote_name(Mention._meta.db_table)
    inserted: list[tuple[int, str]] = []
    batch_size = _insert_batch_size(len(fields))
    values = list(rows.values())
    with connection.cursor() as cursor:
        for start in range(0, len(values), batch_size):
            chunk = values[start : start + batch_size]
            params = [
                prepare(row[field.attname]) for row in chunk for field, prepare in zip(fields, preparers, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([placeholders] * len(chunk))} "
                "ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id, external_id",
                params,
            )
            inserted += [(int(row[0]), row[1]) for row in cursor.fetchall()]
    return inserted


def _mentions_insert_document(fields: list[Any], values: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """The PostgreSQL INSERT: the rows as one jsonb array of objects keyed by column, typed by the model."""
    quote = connection.ops.quote_name
    columns = [field.column for field in fields]
    record = ", ".join(f"{quote(field.column)} {field.db_type(connection)}" for field in fields)
    names = ", ".join(quote(column) for column in columns)
    table = quote(Mention._meta.db_table)
    document = json.dumps(
        [{field.column: row[field.attname] for field in fields} for row in values],
        default=_json_scalar,
        ensure_ascii=False,
        allow_nan=False,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}, search_vector) "
            f"SELECT {names}, to_tsvector('simple'::regconfig, coalesce(text, '')) "
            f"FROM jsonb_to_recordset(%s::jsonb) AS batch({record}) "
            "ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id, external_id",
            [document],
        )
        return [(int(row[0]), row[1]) for row in cursor.fetchall()]


def _json_scalar(value: Any) -> str:
    """Datetimes as ISO 8601 with their microseconds and offset, which PostgreSQL reads back exactly."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _db_value(field) -> Any:
    """How a value reaches the driver: psycopg2 adapts plain values and JSON text itself (a jsonb column
    takes a quoted literal), which costs a fraction of Django's per-value adapters."""
    if connection.vendor != "postgresql" or (field.get_internal_type() == "JSONField" and field.encoder):
        return lambda value: field.get_db_prep_save(value, connection)
    if field.get_internal_type() == "JSONField":
        return _as_json
    return _as_is


def _as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _as_is(value: Any) -> Any:
    return value


def _insert_batch_size(columns: int) -> int:
    """SQLite caps the variables of one statement; PostgreSQL takes a whole batch at once."""
    return max(1, 30_000 // columns) if connection.vendor == "sqlite" else 1000
