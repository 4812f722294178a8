"""Near-duplicate hashing for crisis clusters (inbox/clustering.py): pure functions, no database."""

from __future__ import annotations

import numpy as np
import pytest

from inbox import clustering

BASE = "Llevo dos días sin servicio de fibra en Madrid, @telco vergüenza"


def test_normalising_folds_case_and_accents_and_masks_links_handles_and_numbers():
    assert clustering.text_normalise("¡Sin FIBRA en Cádiz @telco! https://t.co/x1 desde las 12:30") == (
        "sin fibra cadiz _user_ _url_ desde _num_"  # "en", "las": function words
    )


@pytest.mark.parametrize(
    "variant",
    [
        "llevo dos dias sin servicio de fibra en madrid, @ayuda_telco verguenza",  # accents, another handle
        "@pepe Llevo dos días sin servicio de fibra en Madrid. Vergüenza!!! https://t.co/abc",  # link, punctuation
        "Llevo 3 días sin servicio de fibra en Madrid, @telco vergüenza",  # a number instead of a word
        "Llevo dos días sin servicio de fibra en Madrid @telco, menuda vergüenza",  # a word added
        "Llevo dos dias sin servico de fibra en Madrid, @telco vergüenza",  # a typo
    ],
)
def test_near_duplicates_with_small_edits_land_together(variant):
    assert clustering.near_duplicates(BASE, variant)


@pytest.mark.parametrize(
    "other",
    [
        "Me habéis cobrado dos veces la factura de octubre @telco",
        "Gracias por arreglarlo tan rápido, muy contenta con el técnico",
        "¿Cuándo llega la fibra a Cuenca? Quiero contratar",
        "Sin servicio de luz en Madrid, ¿sabéis algo @iberdrola?",
    ],
)
def test_different_topics_do_not(other):
    assert not clustering.near_duplicates(BASE, other)


def test_signatures_are_deterministic_and_the_same_one_at_a_time_or_in_a_batch():
    texts = [BASE, "otra cosa distinta", "", "ok"]
    together = clustering.signatures(texts)
    alone = np.vstack([clustering.signatures([text]) for text in texts])
    assert together.shape == (4, clustering.PERMUTATIONS)
    assert np.array_equal(together, alone)
    # Stored signatures are compared across processes: the permutations never depend on the process.
    assert int(clustering.signatures(["fibra"])[0][0]) == int(clustering.signatures(["fibra"])[0][0])


def test_band_keys_carry_their_band_number_and_fit_a_bigint():
    keys = clustering.band_keys(clustering.signatures([BASE]))[0]
    assert [int(key) >> 56 for key in keys] == list(range(clustering.BANDS))
    assert all(0 <= int(key) < 2**63 for key in keys)


def test_best_match_picks_the_most_similar_candidate_above_the_threshold():
    base, close, far = clustering.fingerprints([BASE, BASE + " ya", "factura cobrada dos veces"])
    assert clustering.best_match(base, [(1, far.signature), (2, close.signature)]) == 2
    assert clustering.best_match(base, [(1, far.signature)]) is None
    assert clustering.signature_similarity(base.signature, base.signature) == 1.0
