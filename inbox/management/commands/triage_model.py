"""A brand's triage model from the command line: train a version from its corrections, roll back, list."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from inbox.models import TriageModelTrigger, TriageModelVersion
from inbox.triage.versions import TriageModelError, triage_model_rollback, triage_model_train


class Command(BaseCommand):
    help = (
        "Train a brand's triage model on its community managers' corrections (kept only if no worse "
        "on the held-out ones), roll it back to the previous version, or list its versions."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["train", "rollback", "list"])
        parser.add_argument("--brand", default="default", help="The channels' brand (default: %(default)s).")

    def handle(self, *args, action: str, brand: str, **options):
        try:
            if action == "train":
                version = triage_model_train(brand=brand, trigger=TriageModelTrigger.COMMAND)
                metrics = version.metrics
                self.stdout.write(
                    f"{brand} v{version.version}: {version.status} — trained on {version.trained_corrections} "
                    f"corrections; on {version.held_out_corrections} held out, score "
                    f"{metrics['candidate']['score']:.3f} against {metrics['against']} {metrics['active']['score']:.3f}"
                )
            elif action == "rollback":
                active = triage_model_rollback(brand=brand)
                self.stdout.write(f"{brand} now runs {f'v{active.version}' if active else 'the shipped model'}")
            else:
                self._list(brand)
        except TriageModelError as error:
            raise CommandError(str(error)) from error

    def _list(self, brand: str) -> None:
        for version in TriageModelVersion.objects.filter(brand=brand).defer("artefact").order_by("-version"):
            candidate = version.metrics.get("candidate", {})
            self.stdout.write(
                f"v{version.version}\t{version.status}\t{version.created_at:%Y-%m-%d %H:%M}\t"
                f"{version.trained_corrections} trained / {version.held_out_corrections} held out\t"
                f"sentiment {candidate.get('sentiment', 0):.3f} category {candidate.get('category', 0):.3f}"
            )
