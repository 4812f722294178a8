"""Archive then delete mentions past a retention, as the nightly beat task does (inbox/services/retention.py).

    python manage.py archive_mentions [--months N] [--directory DIR] [--batch-size 5000] [--dry-run]

Without --months it uses MENTION_RETENTION_MONTHS, and refuses to run while that is 0 (off). Each
batch is written to a gzip JSON-lines file, read back and checked before its rows are deleted.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inbox.services import mentions_archivable, mentions_archive, retention_cutoff


class Command(BaseCommand):
    help = "Archive mentions older than the retention to compressed files, verify them, then delete them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=None, help="retention in months of 30 days")
        parser.add_argument("--directory", type=Path, default=None, help="where the archive files go")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--dry-run", action="store_true", help="count what would be archived, change nothing")

    def handle(self, *args, **options) -> None:
        months = options["months"] if options["months"] is not None else settings.MENTION_RETENTION_MONTHS
        if months <= 0:
            raise CommandError("Retention is off: set MENTION_RETENTION_MONTHS or pass --months.")
        before = retention_cutoff(months=months)
        directory = options["directory"] or Path(settings.MENTION_ARCHIVE_DIR)
        if options["dry_run"]:
            count = mentions_archivable(before=before).count()
            self.stdout.write(f"{count} mentions received before {before:%Y-%m-%d %H:%M} would be archived.")
            return
        report = mentions_archive(before=before, directory=directory, batch_size=options["batch_size"])
        self.stdout.write(
            f"Archived {report.archived} mentions received before {before:%Y-%m-%d %H:%M} "
            f"in {len(report.files)} files under {directory}."
        )
