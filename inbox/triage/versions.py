"""Writes for the brands' triage models: train a version from corrections, keep or reject it, roll back.

A version is trained from the shipped weights (`learning.weights_adapt`) on the brand's corrections
that are not held out, then scored with the model tier itself on the held-out ones, and so is the
brand's active model (or the shipped one). It becomes active only when it is no worse there; the
one it replaces is kept as `previous`, for rollback. Training reads the embedders outside any
transaction; the decision is one transaction under a lock named after the brand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from crisisdesk.audit import audit_record
from crisisdesk.locks import transaction_lock
from crisisdesk.models import User
from inbox.models import TriageModelStatus, TriageModelTrigger, TriageModelVersion
from inbox.triage import TriageInput, model_tier
from inbox.triage.brand_models import tier_from_weights, weights_from_artefact, weights_to_artefact
from inbox.triage.learning import features_compute, held_out, macro_f1, weights_adapt
from inbox.triage.model import ModelTriage, Weights, weights_load
from inbox.triage.selectors import CorrectedRow, label_corrections_rows

logger = logging.getLogger(__name__)

MIN_TRAINING_CORRECTIONS = 10
MIN_HELD_OUT_CORRECTIONS = 3
# The newest corrections a version learns from: the embedders read them all (e5 ~30 texts/s).
MAX_CORRECTIONS = 4000


class TriageModelError(Exception):
    """A brand model that cannot be trained or rolled back; the message says why."""


@dataclass(frozen=True)
class Split:
    training: list[CorrectedRow]
    held_out: list[CorrectedRow]


def corrections_split(rows: list[CorrectedRow]) -> Split:
    """The fixed split: a corrected mention is held out or trained on by its id, never both."""
    return Split(
        training=[row for row in rows if not held_out(row.mention_id)],
        held_out=[row for row in rows if held_out(row.mention_id)],
    )


def model_score(tier: ModelTriage, rows: list[CorrectedRow]) -> dict[str, float]:
    """Macro-F1 of sentiment and category on `rows` through the model tier, and their mean ("score")."""
    inputs = [TriageInput(text=row.row.text, language=row.row.lang or "") for row in rows]
    results = [
        result for start in range(0, len(inputs), 64) for result in tier.triage_batch(inputs[start : start + 64])
    ]
    sentiment = macro_f1([row.row.sentiment for row in rows], [result.sentiment for result in results])
    category = macro_f1([row.row.category for row in rows], [result.category for result in results])
    return {
        "sentiment": round(sentiment, 4),
        "category": round(category, 4),
        "score": round((sentiment + category) / 2, 4),
    }


def _candidate_fit(*, base: ModelTriage, rows: list[CorrectedRow]) -> Weights:
    shipped = weights_load(base.weights_dir)
    first, cascade = base.embedders
    assert first is not None
    features = features_compute(
        texts=[row.row.text for row in rows],
        languages=[row.row.lang for row in rows],
        embedder=first,
        cascade_embedder=cascade if shipped.cascade is not None else None,
    )
    weights = weights_adapt(
        base=shipped,
        features=features,
        sentiments=[row.row.sentiment for row in rows],
        categories=[row.row.category for row in rows],
    )
    weights.meta.update({"brand_corrections": len(rows), "adapted_from": shipped.meta.get("trained_at", "shipped")})
    return weights


def triage_model_train(*, brand: str, trigger: str, actor: User | None = None) -> TriageModelVersion:
    """Train a new version of `brand`'s model from its corrections and keep it only if it is no worse.

    The new version is stored either way: `active` (the old active one becomes `previous`, the old
    previous `retired`) when its held-out score is at least the active model's (the shipped one
    when the brand has none), else `rejected`, and the active one stays. Audited as
    `triage_model.train`. Raises `TriageModelError` with too few corrections or no model tier.
    """
    if trigger not in TriageModelTrigger.values:
        raise TriageModelError(f"Unknown trigger {trigger!r}.")
    base = model_tier()
    if not base.available():
        raise TriageModelError(f"The model tier is unavailable here: {base.unavailable_reason}")
    split = corrections_split(label_corrections_rows(brand=brand, limit=MAX_CORRECTIONS))
    if len(split.training) < MIN_TRAINING_CORRECTIONS or len(split.held_out) < MIN_HELD_OUT_CORRECTIONS:
        raise TriageModelError(
            f"Not enough corrections for {brand}: {len(split.training)} to train on and {len(split.held_out)} "
            f"held out; at least {MIN_TRAINING_CORRECTIONS} and {MIN_HELD_OUT_CORRECTIONS} are needed."
        )
    candidate = _candidate_fit(base=base, rows=split.training)
    candidate_score = model_score(tier_from_weights(candidate, base=base), split.held_out)
    meta, artefact = weights_to_artefact(candidate)
    with transaction.atomic():
        transaction_lock(f"triage-model:{brand}")
        versions = TriageModelVersion.objects.select_for_update(no_key=True).filter(brand=brand)
        active = versions.filter(status=TriageModelStatus.ACTIVE).first()
        # why scored here: under the lock, against whichever version is active now.
        active_tier = base if active is None else tier_from_weights(_weights(active), base=base)
        active_score = model_score(active_tier, split.held_out)
        accepted = candidate_score["score"] >= active_score["score"]
        if accepted:
            _statuses_shift(brand=brand)
        version = TriageModelVersion.objects.create(
            brand=brand,
            version=(versions.aggregate(top=Max("version"))["top"] or 0) + 1,
            status=TriageModelStatus.ACTIVE if accepted else TriageModelStatus.REJECTED,
            trigger=trigger,
            trained_by=actor,
            trained_corrections=len(split.training),
            held_out_corrections=len(split.held_out),
            metrics={
                "candidate": candidate_score,
                "active": active_score,
                "against": f"v{active.version}" if active is not None else "shipped",
            },
            reason="" if accepted else "Worse than the active model on the held-out corrections",
            meta=meta,
            artefact=artefact,
        )
        audit_record(
            actor=actor,
            verb="triage_model.train",
            target=version,
            data={"brand": brand, "version": version.version, "status": version.status, **version.metrics},
        )
    return version


def _weights(version: TriageModelVersion) -> Weights:
    return weights_from_artefact(version.meta, bytes(version.artefact))


def _statuses_shift(*, brand: str) -> None:
    """Make room for a new active version: previous → retired, active → previous."""
    versions = TriageModelVersion.objects.filter(brand=brand)
    versions.filter(status=TriageModelStatus.PREVIOUS).update(status=TriageModelStatus.RETIRED)
    versions.filter(status=TriageModelStatus.ACTIVE).update(status=TriageModelStatus.PREVIOUS)


def triage_model_rollback(*, brand: str, actor: User | None = None) -> TriageModelVersion | None:
    """Put `brand`'s previous model back in use; returns the version now active (None: the shipped one).

    The active version becomes `rolled_back` (never chosen again by a rollback), the previous one
    active, and the newest retired one previous. With no previous version the brand goes back to
    the shipped model. Audited as `triage_model.rollback`. Raises `TriageModelError` when the brand
    already runs the shipped model.
    """
    with transaction.atomic():
        transaction_lock(f"triage-model:{brand}")
        versions = TriageModelVersion.objects.select_for_update(no_key=True).filter(brand=brand)
        active = versions.filter(status=TriageModelStatus.ACTIVE).first()
        if active is None:
            raise TriageModelError(f"{brand} already runs the shipped model: there is nothing to roll back.")
        previous = versions.filter(status=TriageModelStatus.PREVIOUS).first()
        active.status = TriageModelStatus.ROLLED_BACK
        active.save(update_fields=["status"])
        if previous is not None:
            previous.status = TriageModelStatus.ACTIVE
            previous.save(update_fields=["status"])
            older = versions.filter(status=TriageModelStatus.RETIRED).order_by("-version").first()
            if older is not None:
                older.status = TriageModelStatus.PREVIOUS
                older.save(update_fields=["status"])
        audit_record(
            actor=actor,
            verb="triage_model.rollback",
            target=active,
            data={"brand": brand, "from": active.version, "to": previous.version if previous else "shipped"},
        )
    return previous
