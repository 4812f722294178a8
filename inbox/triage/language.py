"""Language: trust what the network says when it is one we handle, otherwise ask lingua.

lingua is restricted to the languages we expect (plus French, Italian and German so that they
are not forced into one of ours). The fast tier uses its low-accuracy mode (trigrams only, much
cheaper); the model tier uses the full mode.
"""

from __future__ import annotations

from functools import lru_cache

from inbox.triage.lexicon import HANDLE, TOKEN, URL, fold

SUPPORTED = ("es", "en", "pt", "ca")
OTHER = "other"


@lru_cache(maxsize=2)
def _detector(low_accuracy: bool):
    from lingua import Language, LanguageDetectorBuilder  # why: heavy native module, loaded with the first detector

    builder = LanguageDetectorBuilder.from_languages(
        Language.SPANISH,
        Language.ENGLISH,
        Language.PORTUGUESE,
        Language.CATALAN,
        Language.FRENCH,
        Language.ITALIAN,
        Language.GERMAN,
    )
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def normalise_code(code: str) -> str:
    """'es-ES', 'ES', 'spa' → 'es'; a code we do not handle → 'other'; empty stays empty."""
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    if not code or code in {"und", "zxx", "qme", "qht"}:
        return ""
    code = {"spa": "es", "eng": "en", "por": "pt", "cat": "ca"}.get(code, code)
    return code if code in SUPPORTED else OTHER


def detect(text: str, *, given: str = "", low_accuracy: bool = True) -> str:
    known = normalise_code(given)
    if known:
        return known
    clean = HANDLE.sub(" ", URL.sub(" ", text)).strip()
    if not any(char.isalpha() for char in clean):
        return OTHER
    if low_accuracy:
        sure = _by_stopwords(clean, at_least=3, margin=2)
        if sure:
            return sure
    language = _detector(low_accuracy).detect_language_of(clean)
    code = language.iso_code_639_1.name.lower() if language is not None else OTHER
    return code if code in SUPPORTED else _by_stopwords(clean) or OTHER


STOPWORDS = {
    "es": frozenset(
        "el la los las de que y en un una por con para es no me mi sois habeis esta estoy muy pero del al lo "
        "se su hay como ya todo nos porque cuando".split()
    ),
    "en": frozenset(
        "the and you your is are to of for my me it this not all i we with was be have on at that just get "
        "can will our they".split()
    ),
    "pt": frozenset(
        "o os as de que e em um uma voce voces nao meu minha esta estou muito mas com do da dos das no na "
        "isso ele ela tem".split()
    ),
    "ca": frozenset(
        "el la els les de que i en un una per amb no em meu meva sou esteu molt pero aquest aquesta ara "
        "tambe perque hi ha".split()
    ),
}


def _by_stopwords(text: str, *, at_least: int = 2, margin: int = 1) -> str:
    """Common words of one language, clearly ahead of the others: cheap, and settles short texts."""
    words = TOKEN.findall(fold(text))
    counts = {code: sum(word in stopwords for word in words) for code, stopwords in STOPWORDS.items()}
    ranked = sorted(counts.values(), reverse=True)
    best = max(counts, key=counts.__getitem__)
    return best if ranked[0] >= at_least and ranked[0] - ranked[1] >= margin else ""
