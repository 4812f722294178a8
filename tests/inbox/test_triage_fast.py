"""The fast tier on clear cases, in Spanish and English: each field a community manager relies on."""

import pytest

from inbox.triage import TriageInput, fast_tier
from inbox.triage.topics import demo_topic_matcher


def triage(text: str, **author):
    """Triage as the demo telecom brand, whose topics are outage, billing and tragedy."""
    return fast_tier().triage_batch([TriageInput(text=text, vocabulary=demo_topic_matcher(), **author)])[0]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Llevo dos días sin servicio de fibra en Madrid y nadie me dice nada", "es"),
        ("My internet has been down since yesterday and nobody tells me anything", "en"),
        ("Bom dia, estou sem internet desde ontem em Lisboa", "pt"),
        ("Bon dia, no tinc cobertura des d'ahir a Girona i ningú m'ho arregla", "ca"),
        ("Bonjour, je n'ai plus de connexion depuis hier soir", "other"),
    ],
)
def test_language_is_detected_when_the_network_gave_none(text, language):
    assert triage(text).language == language


def test_the_language_the_network_gave_is_kept_when_we_handle_it():
    assert triage("ok", language="es-ES").language == "es"
    assert triage("ok", language="ja").language == "other"


@pytest.mark.parametrize(
    "text",
    [
        "Llevo tres días sin internet en Sevilla, es lamentable",
        "Three days without internet in Denver, this is terrible",
    ],
)
def test_a_complaint_is_negative_and_gets_a_reply_or_escalation(text):
    result = triage(text)
    assert result.sentiment == "negative"
    assert result.sentiment_score < 0
    assert result.category == "complaint"
    assert result.suggested_action in {"reply", "escalate"}


@pytest.mark.parametrize(
    "text", ["¿A qué hora abre la tienda de Valencia el sábado?", "What time does the Boston store open?"]
)
def test_a_question_is_neutral_and_gets_a_reply(text):
    result = triage(text)
    assert result.category == "question"
    assert result.sentiment == "neutral"
    assert result.suggested_action == "reply"


@pytest.mark.parametrize(
    "text",
    ["Muchas gracias, la atención de ayer fue genial 👏", "Thanks so much, your team was amazing yesterday!"],
)
def test_praise_is_positive_and_low_priority(text):
    result = triage(text)
    assert result.sentiment == "positive"
    assert result.category == "praise"
    assert result.priority <= 20


@pytest.mark.parametrize("text", ["Sois unos inútiles y unos payasos", "you are all idiots and clowns"])
def test_insults_without_a_grievance_are_a_troll_to_ignore(text):
    result = triage(text)
    assert result.category == "troll"
    assert result.suggested_action == "ignore"
    assert "Insults without a concrete grievance" in result.reasons


def test_an_angry_customer_with_a_real_grievance_is_not_a_troll():
    result = triage("Sois unos inútiles, llevo una semana sin internet")
    assert result.category == "complaint"
    assert result.suggested_action == "escalate"


def test_an_author_repeatedly_hidden_as_troll_is_a_troll_even_without_insults():
    result = triage("Vaya empresa, ya os vale", hidden_as_troll=3)
    assert result.category == "troll"
    assert result.suggested_action == "ignore"
    assert any(reason.startswith("Author hidden as troll before") for reason in result.reasons)


def test_a_new_account_repeating_itself_after_being_hidden_is_a_troll():
    result = triage("Qué mala empresa", hidden_as_troll=1, account_age_days=3, recent_repeats=4)
    assert result.category == "troll"
    assert "New account: 3 d" in result.reasons
    assert "Repeats the same message: 4×" in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Gana dinero desde casa con bitcoin, info aquí https://t.co/abc",
        "Earn money from home with crypto, click here https://t.co/abc",
    ],
)
def test_spam_is_ignored(text):
    result = triage(text)
    assert result.category == "spam"
    assert result.suggested_action == "ignore"
    assert result.priority <= 20


@pytest.mark.parametrize(
    "text",
    [
        "Caída total de la fibra en Bilbao, sin servicio desde las 8",
        "Total outage in Chicago, no service since 8am",
    ],
)
def test_an_outage_is_escalated_to_the_technical_department(text):
    result = triage(text)
    assert (result.suggested_action, result.suggested_department) == ("escalate", "tecnica")
    assert "outage" in result.topics
    assert any(reason.startswith("Outage:") for reason in result.reasons)


@pytest.mark.parametrize(
    "text", ["Me habéis cobrado dos veces la factura de marzo", "You charged me twice on my March bill"]
)
def test_billing_goes_to_customer_service_in_commercial(text):
    result = triage(text)
    assert result.category == "complaint"
    assert (result.suggested_action, result.suggested_department) == ("customer_service", "comercial")
    assert "billing" in result.topics


def test_personal_account_matters_go_to_customer_service():
    result = triage("Quiero darme de baja y nadie me contesta")
    assert (result.suggested_action, result.suggested_department) == ("customer_service", "atencion-cliente")


@pytest.mark.parametrize(
    ("plain", "threat"),
    [
        (
            "No me devolvéis el dinero del pedido",
            "No me devolvéis el dinero del pedido, voy a la OCU y a mi abogado",
        ),
        (
            "You still haven't refunded my order",
            "You still haven't refunded my order, my lawyer will hear about it",
        ),
    ],
)
def test_a_legal_threat_raises_priority_and_goes_to_legal(plain, threat):
    before, after = triage(plain), triage(threat)
    assert after.priority >= before.priority + 20
    assert after.suggested_department == "juridico"
    assert any(reason.startswith("Legal threat:") for reason in after.reasons)


def test_a_high_reach_author_raises_priority():
    text = "Llevo dos días sin servicio"
    ordinary, famous = triage(text, followers=80), triage(text, followers=250_000, verified=True)
    assert famous.priority >= ordinary.priority + 25
    assert "High reach: 250k" in famous.reasons and "Verified author" in famous.reasons


def test_an_open_crisis_raises_priority():
    text = "Otra vez sin servicio en Málaga"
    assert triage(text, in_open_crisis=True).priority == triage(text).priority + 15
    assert "Open crisis" in triage(text, in_open_crisis=True).reasons


def test_press_and_tragedy_go_to_communication():
    assert triage(
        "Vuestro anuncio de hoy es de mal gusto con las víctimas aún sin enterrar"
    ).suggested_department == ("comunicacion")
    assert triage("Soy periodista, ¿tenéis un portavoz para hablar de la caída?").suggested_department in {
        "tecnica",
        "comunicacion",
    }


def test_hashtags_become_topics_in_lower_case():
    assert "#caidamovil" in triage("Sin línea otra vez #CaidaMovil").topics


def test_priority_always_stays_between_0_and_100():
    worst = triage(
        "Sin servicio, caída total, voy a la OCU, a mi abogado y a la prensa, vergüenza!!! urgente",
        followers=5_000_000,
        verified=True,
        in_open_crisis=True,
    )
    assert worst.priority == 100
    assert triage("").priority >= 0


def _texts_to_check(shared_root) -> list[str]:
    """Every phrase of every signal as written, the hard cases, the bench's synthetic day and, when
    present, the 2,000 real posts: texts that name many signals, few, or none."""
    import csv
    import json

    from bench.corpus import webhook_items
    from inbox.triage.lexicon import DATA_DIR
    from tests.inbox.test_triage_hard_cases import CASES

    phrases = [phrase for group in json.loads((DATA_DIR / "signals.json").read_text()).values() for phrase in group]
    texts = [*phrases, *(f"¡{phrase}!" for phrase in phrases), *(case.text for case in CASES)]
    texts += [item["text"] for item in webhook_items(count=2_000, seed=3)]
    real = shared_root / "realdata" / "texts" / "social_sentiment_es_en.csv"
    if real.exists():
        with real.open(encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    return texts


def test_skipping_signals_by_their_openings_never_loses_a_match(settings):
    """A signal is not searched in a text that has none of its phrases' first two letters at a word
    start; searching every signal in every text finds nothing more."""
    from inbox.triage.lexicon import FILLER, HANDLE, fold, signal_patterns, word_openings

    checked = skipped = 0
    for text in _texts_to_check(settings.BASE_DIR.parent / "shared"):
        padded = " ".join(FILLER.sub(" ", HANDLE.sub(" ", fold(text))).split()) + " "
        openings = word_openings(padded)
        for name, signal in signal_patterns().items():
            checked += 1
            if signal.openings is not None and signal.openings.isdisjoint(openings):
                skipped += 1
                assert signal.pattern.search(padded) is None, (name, text)
    assert skipped > checked / 2  # the check is worth having: most signals are skipped
