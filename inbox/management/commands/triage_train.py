"""Train the model tier from our labelled CSV plus community managers' label corrections."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from inbox.triage.model import DEFAULT_CASCADE_EMBEDDER, DEFAULT_EMBEDDER, EMBEDDERS, WEIGHTS_DIR, embedder_make
from inbox.triage.selectors import label_corrections_training_rows
from inbox.triage.training import TRAINING_CSV, model_train, training_rows_read


class Command(BaseCommand):
    help = "Train the triage model tier (sentiment and category) and store its weights as plain arrays."

    def add_arguments(self, parser):
        parser.add_argument(
            "--csv", type=Path, default=TRAINING_CSV, help="Labelled rows: text,lang,sentiment,category."
        )
        parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="Where model.npz and model.json go.")
        parser.add_argument("--no-corrections", action="store_true", help="Leave label corrections out.")
        parser.add_argument("--no-cv", action="store_true", help="Skip the 5-fold cross-validation.")
        parser.add_argument("--c", type=float, default=0.01, help="Inverse regularisation of the classifiers.")
        parser.add_argument(
            "--embedder",
            choices=sorted(EMBEDDERS),
            default=DEFAULT_EMBEDDER,
            help="Sentence embedder to train on.",
        )
        parser.add_argument(
            "--cascade",
            choices=[*sorted(EMBEDDERS), "none"],
            default=DEFAULT_CASCADE_EMBEDDER,
            help="Second embedder, read only for the texts the first is least sure of ('none': no cascade).",
        )

    def handle(
        self,
        *args,
        csv: Path,
        out: Path,
        no_corrections: bool,
        no_cv: bool,
        c: float,
        embedder: str,
        cascade: str,
        **options,
    ):
        try:
            rows = training_rows_read(csv)
        except (OSError, KeyError) as error:
            raise CommandError(f"Cannot read the training CSV {csv}: {error}") from error
        corrections = []
        if not no_corrections:
            try:
                corrections = label_corrections_training_rows()
            except DatabaseError as error:
                self.stderr.write(f"Label corrections left out, the database cannot be read: {error}")
        if len(rows) + len(corrections) < 20:
            raise CommandError("Fewer than 20 labelled rows: nothing sensible to train on.")
        if cascade == embedder:
            raise CommandError("The cascade's embedder must differ from the first one (or be 'none').")
        try:
            report = model_train(
                embedder=embedder_make(embedder),
                cascade_embedder=None if cascade == "none" else embedder_make(cascade),
                rows=rows + corrections,
                corrections=len(corrections),
                out_dir=out,
                c=c,
                cross_validate=not no_cv,
            )
        except ImportError as error:
            raise CommandError(
                f"Training needs the dev dependencies (scikit-learn) and the embedding package: {error}"
            ) from error
        self.stdout.write(
            f"Trained on {report.rows} rows ({report.corrections} from label corrections) "
            f"in {report.seconds}s; "
            f"cross-validated macro-F1: {report.cross_validated_macro_f1 or 'skipped'}; weights in {out}"
        )
