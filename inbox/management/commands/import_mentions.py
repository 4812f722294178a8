"""Backfill mentions from a saved API response, webhook body, feed file or CSV export.

Everything goes through the live pipeline (`mentions_ingest`) in batches, so triage, counters and
idempotency are the same as for polled mentions: a second run of the same file reports every item
as a duplicate. The whole file is parsed before anything is written, and all batches share one
transaction, so a malformed file or a failure half-way leaves the database as it was.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inbox.connectors import connector_class
from inbox.connectors.base import ConnectorError, FetchResult
from inbox.connectors.meta import meta_platform
from inbox.models import Channel, ChannelKind
from inbox.services import IngestReport, mentions_ingest

KINDS = ("x", "mastodon", "meta", "rss", "csv")
CSV_REQUIRED = ("id", "text", "author", "created_at")


class Command(BaseCommand):
    help = "Import mentions from a saved payload (X, Mastodon, Meta, RSS/Atom) or a CSV export."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument("--channel", help="Channel name; created (disabled for polling) if it does not exist.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--progress-every", type=int, default=5000, help="Report progress every N items.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        kind: str = options["kind"]
        batch_size = max(1, options["batch_size"])
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from error
        channel_kind, result = parse_file(kind=kind, raw=raw, name=str(path))
        total = len(result.mentions)
        report = IngestReport()
        started = time.monotonic()
        next_progress = options["progress_every"]
        source = f"import:{kind}"
        with transaction.atomic():
            channel = channel_for_import(name=options["channel"] or f"Import {channel_kind}", kind=channel_kind)
            if result.rejected:
                report.merge(mentions_ingest(channel=channel, mentions=[], rejected=result.rejected, source=source))
            for start in range(0, total, batch_size):
                batch = result.mentions[start : start + batch_size]
                report.merge(mentions_ingest(channel=channel, mentions=batch, source=source))
                done = start + len(batch)
                if next_progress and done >= next_progress and done < total:
                    self.stderr.write(f"  {done:,} / {total:,} mentions…")
                    next_progress += options["progress_every"]
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{path.name} → channel “{channel.name}” ({channel.kind}): "
            f"created {report.created}, duplicates {report.duplicates}, rejected {report.rejected} "
            f"in {seconds:.2f}s"
        )
        for reason, count in report.reasons.most_common():
            self.stdout.write(f"  rejected {count}: {reason}")


def parse_file(*, kind: str, raw: bytes, name: str) -> tuple[str, FetchResult]:
    """(channel kind, parsed mentions and rejected items); a malformed file raises CommandError."""
    try:
        if kind == "rss":
            return ChannelKind.RSS, connector_class(ChannelKind.RSS)().parse_payload(raw)
        if kind == "csv":
            return ChannelKind.WEBHOOK, connector_class(ChannelKind.WEBHOOK)().parse_payload(_csv_rows(raw, name))
        try:
            payload = json.loads(raw)
        except ValueError as error:
            raise CommandError(f"{name} is not valid JSON: {error}") from error
        channel_kind = meta_platform(payload) if kind == "meta" else kind
        return channel_kind, connector_class(channel_kind)().parse_payload(payload)
    except ConnectorError as error:
        raise CommandError(f"{name}: {error}") from error


def _csv_rows(raw: bytes, name: str) -> list[dict[str, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(f"{name} is not UTF-8 text: {error}") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in CSV_REQUIRED if column not in (reader.fieldnames or [])]
    if missing:
        raise CommandError(f"{name} lacks the column(s) {', '.join(missing)}; needed: {', '.join(CSV_REQUIRED)}.")
    rows = []
    try:
        for row in reader:
            rows.append(
                {
                    "id": row["id"],
                    "text": row["text"],
                    "created_at": row["created_at"],
                    "author": {
                        "id": row.get("author_id") or row["author"],
                        "handle": row["author"],
                        "name": row.get("author_name") or "",
                        "followers": row.get("followers") or 0,
                    },
                    "url": row.get("url") or "",
                    "in_reply_to": row.get("in_reply_to") or "",
                    "conversation_id": row.get("conversation_id") or "",
                    "language": row.get("language") or "",
                }
            )
    except csv.Error as error:
        raise CommandError(f"{name} line {reader.line_num}: {error}") from error
    return rows


def channel_for_import(*, name: str, kind: str) -> Channel:
    """The named channel, or a new one that beat will not poll (it has no API settings)."""
    channel = Channel.objects.filter(name=name, kind=kind).first()
    if channel is not None:
        return channel
    other = Channel.objects.filter(name=name).first()
    if other is not None:
        raise CommandError(f"The channel “{name}” is a {other.kind} channel, not {kind}.")
    return Channel.objects.create(kind=kind, name=name, is_enabled=False)
