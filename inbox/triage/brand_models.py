"""Which model triages a brand's mentions: its active version, else the shipped one.

Each worker keeps the model it loaded per brand together with that version's id, and asks the
database on every batch which version is active (one indexed query). A new version or a rollback is
picked up by the next batch; a batch already running keeps the model it started with (a loaded
model is never changed in place), so switching is safe for workers in flight.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
import threading
from pathlib import Path

import numpy as np

from inbox.models import TriageModelStatus, TriageModelVersion
from inbox.triage import model_tier
from inbox.triage.model import ModelTriage, Weights, weights_load, weights_save

logger = logging.getLogger(__name__)

_loaded: dict[str, tuple[int, ModelTriage]] = {}
_lock = threading.Lock()


def weights_to_artefact(weights: Weights) -> tuple[dict, bytes]:
    """The `model.json` and `model.npz` of some weights, as a version row stores them."""
    with tempfile.TemporaryDirectory(prefix="triage-model-") as directory:
        path = Path(directory)
        weights_save(directory=path, heads=weights, meta=weights.meta, cascade=weights.cascade)
        return weights_load(path).meta, (path / "model.npz").read_bytes()


def weights_from_artefact(meta: dict, artefact: bytes) -> Weights:
    with tempfile.TemporaryDirectory(prefix="triage-model-") as directory:
        path = Path(directory)
        (path / "model.npz").write_bytes(artefact)
        (path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
        return weights_load(path)


def tier_from_weights(weights: Weights, *, base: ModelTriage | None = None) -> ModelTriage:
    """A model tier running `weights` with the shipped tier's embedders (loaded once per process)."""
    base = base or model_tier()
    first, cascade = base.embedders
    with tempfile.TemporaryDirectory(prefix="triage-model-") as directory:
        path = Path(directory)
        weights_save(directory=path, heads=weights, meta=weights.meta, cascade=weights.cascade)
        tier = ModelTriage(weights_dir=path, embedder=first, cascade_embedder=cascade)
        tier.available()  # loads the arrays now, while the directory exists
    return tier


def brand_model_tier(brand: str, *, base: ModelTriage | None = None) -> ModelTriage:
    """The model tier for `brand`'s mentions: its active version's, or the shipped one's (`base`)."""
    base = base or model_tier()
    active = (
        TriageModelVersion.objects.filter(brand=brand, status=TriageModelStatus.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    if active is None or not base.available():
        return base
    with _lock:
        cached = _loaded.get(brand)
        if cached is not None and cached[0] == active:
            return cached[1]
    version = TriageModelVersion.objects.only("meta", "artefact").get(pk=active)
    try:
        tier = tier_from_weights(weights_from_artefact(version.meta, bytes(version.artefact)), base=base)
    except (OSError, ValueError, KeyError) as error:
        tier = None
        logger.warning("Brand %s: triage model v%s cannot be read (%s); the shipped one runs", brand, active, error)
    if tier is None or not tier.available():
        return base
    with _lock:
        _loaded[brand] = (active, tier)
    return tier


def artefact_arrays(artefact: bytes) -> dict[str, np.ndarray]:
    """The arrays of a stored artefact (for tests and the page: shapes, never pickles)."""
    with np.load(io.BytesIO(artefact), allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}
