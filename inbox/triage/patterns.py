"""Spanish stemming, negation scope and the spam and sarcasm patterns the rules read.

Stems come from Snowball's Spanish stemmer (`PyStemmer`, the C build of the Snowball algorithms).
Snowball reads accented words, while we match on folded text ("prestamos" gives "prest" but
"prestamo" gives "prestam"), so a phrase word matches by any of the stems of its singular and
plural forms. Everything here works on text already folded by `lexicon.fold` (lower case, no
accents) unless it says otherwise.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import Stemmer

# A negator changes the polarity of the next few words, up to the end of the clause.
NEGATION_SCOPE = 3
NEGATORS = frozenset(
    {
        "no",
        "nunca",
        "ni",
        "tampoco",
        "nada",
        "sin",
        "jamas",
        "ningun",
        "ninguna",
        "ninguno",
        "ningunos",
        "nao",
        "nem",
        "mai",
        "not",
        "never",
        "without",
        "zero",
        "nothing",
        "cannot",
        "t",
    }
)
# Words, or a single clause break, as the tokens the negation and phrase matching walk over.
CLAUSE_TOKEN = re.compile(r"\w+|[.,;:!?¿¡…()\"“”]+", re.UNICODE)
BREAK = "|"
CLAUSE_BREAK = re.compile(r"[.,;:!?¿¡…()\"“”]+")

# Phone numbers, on the original text: Spanish (9 digits from 6, 7, 8 or 9, with or without +34/0034)
# or international (+ or 00 and 10–15 digits). Separators: spaces, dots, dashes.
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s.\-]?\d){7,14}(?!\w)")
# WhatsApp or Telegram given as a contact: followed by a number or a handle, or a wa.me / t.me link.
CONTACT = re.compile(
    r"(?<!\w)(?:(?:whatsapp|whatsap|wasap|wsp|telegram)(?=\W{0,3}(?:al |al numero |me al )?[+\d@])|wa\.me/|t\.me/)"
)
# Praise said sarcastically: an opening "genial," / "great," then a grievance, or set phrases.
SARCASM_PHRASES = re.compile(
    r"(?<!\w)(?:gracias por nada|muchas gracias por nada|thanks for nothing|thank you for nothing"
    r"|gracias por (?:dejarme|dejarnos|tenerme|tenernos) (?:sin|tirad)\w*"
    r"|thanks for (?:leaving|keeping) (?:me|us) (?:without|stranded|on hold))(?!\w)"
)
SARCASM_OPENING = re.compile(
    r"^\W*(?:que |vaya |how )?(?:genial|estupendo|perfecto|fantastico|maravilla|maravilloso|de lujo|bravo"
    r"|great|perfect|wonderful|brilliant|awesome|fantastic|love it|lovely|nice one)\s*[,.!…]+\s*(.+)$"
)
SARCASM_FOLLOW = re.compile(
    r"(?<!\w)(?:(?:otra vez|de nuevo|otro dia|otra semana|otro mes|una vez mas) sin"
    r"|otra vez (?:caid|cortad|fuera|igual|lo mismo|tarde|retras|cancelad)"
    r"|(?:segundo|tercer|cuarto|quinto|sexto) dia|(?:segunda|tercera|cuarta|quinta) (?:vez|semana)|ya van"
    r"|llevo \w+ \w+ sin|sin (?:servicio|internet|luz|fibra|cobertura|linea|senal|datos|wifi|respuesta)"
    r"|another (?:outage|delay|day|week|hour|cancel|missed)|(?:down|delayed|cancell?ed|broken|late) again"
    r"|(?:third|fourth|fifth) (?:day|time|week)|still (?:no|not|waiting|down|without)"
    r"|no (?:signal|service|internet|wifi|reply|answer|response)|without (?:internet|service|signal|power))"
)


class _LocalStemmer(threading.local):
    """A Snowball stemmer object must not be shared between threads; each thread gets its own."""

    def __init__(self) -> None:
        self.stemmer = Stemmer.Stemmer("spanish")


_local = _LocalStemmer()


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    return _local.stemmer.stemWord(token)


def word_stems(word: str) -> frozenset[str]:
    """The stems a phrase word stands for: its own and those of its plural forms."""
    return frozenset({stem(word), stem(word + "s"), stem(word + "es")} - {""})


def clause_tokens(folded: str) -> list[str]:
    """Words of already folded text, with one `BREAK` wherever punctuation ends a clause."""
    tokens: list[str] = []
    for token in CLAUSE_TOKEN.findall(folded):
        if token[0].isalnum() or token[0] == "_":
            tokens.append(token)
        elif tokens and tokens[-1] != BREAK:
            tokens.append(BREAK)
    return tokens


def negated_at(tokens: list[str], index: int) -> int | None:
    """The index of the negator whose scope covers `tokens[index]`, if one does."""
    for back in range(index - 1, max(-1, index - 1 - NEGATION_SCOPE), -1):
        token = tokens[back]
        if token == BREAK:
            return None
        if token in NEGATORS:
            return back
    return None


def phones(text: str) -> list[str]:
    """Phone numbers in the original text, as written."""
    found = []
    for match in PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        international = match.group().startswith(("+", "00"))
        spanish = len(digits) == 9 and digits[0] in "6789"
        spanish_prefixed = len(digits) == 11 and digits.startswith("34") and digits[2] in "6789"
        if spanish or spanish_prefixed or (international and 10 <= len(digits) <= 15):
            found.append(match.group().strip())
    return found


def contact_hits(folded: str) -> list[str]:
    return sorted({match.group() for match in CONTACT.finditer(folded)})


def sarcasm_hits(folded: str) -> list[str]:
    """Praise words used to complain: "gracias por nada", "genial, otra vez sin…", "great, another outage"."""
    found = [match.group() for match in SARCASM_PHRASES.finditer(folded)]
    opening = SARCASM_OPENING.match(folded)
    if opening and SARCASM_FOLLOW.search(opening.group(1)):
        found.append(folded[: opening.start(1)].strip(" ,.!…"))
    return found


def inflected_phrase_regex(phrase: str, *, prefix_last: bool) -> str | None:
    """A regex on folded text for a phrase of two or more words whose words may inflect.

    Each word of four letters or more becomes its Snowball stems plus up to four letters
    ("prestamo rapido" finds "préstamos rápidos", "me gusta" "me gustan"); shorter words stay as
    written, or take a plural s. The last word of a stem-style phrase takes any ending. None for one
    word or a phrase with signs in it (those match as written).
    """
    words = phrase.split()
    if len(words) < 2 or not all(word.isalnum() for word in words):
        return None
    parts = []
    for position, word in enumerate(words):
        last = position == len(words) - 1
        if len(word) < 4:
            parts.append(re.escape(word) + (r"\w*" if last and prefix_last else "s?"))
            continue
        alternatives = "|".join(sorted({re.escape(s) for s in word_stems(word) if len(s) >= 3} | {re.escape(word)}))
        parts.append(f"(?:{alternatives})" + (r"\w*" if last and prefix_last else r"\w{0,4}"))
    return " ".join(parts) + r"(?!\w)"


# The three characters (two at the end) at every word start of a text: `(?<!\w)` is where a phrase begins.
WORD_OPENING = re.compile(r"(?<!\w)(?=(...?))", re.DOTALL)


def word_openings(padded: str) -> set[str]:
    """The first three and the first two characters at each word start, which `SignalPattern.openings`
    holds one of for each phrase (two where a phrase's first word is short)."""
    found = WORD_OPENING.findall(padded)
    return {*found, *(opening[:2] for opening in found)}


def inflected_phrase_openings(phrase: str) -> frozenset[str]:
    """The first three characters a match of `inflected_phrase_regex(phrase)` can start with (two for
    a word of one letter): those of the first word's stems and of the word, or of a short word and its
    plural ("de " and "des")."""
    first = phrase.split()[0]
    if len(first) >= 4:
        return frozenset(alternative[:3] for alternative in {*word_stems(first), first} if len(alternative) >= 3)
    if len(first) == 3:
        return frozenset({first})
    return frozenset({first + "s", first + " "})


def negated_before(folded_prefix: str) -> bool:
    """Whether the clause just before a match (folded text up to it) ends in a negator's scope."""
    tokens = clause_tokens(folded_prefix[-80:])
    return negated_at(tokens + ["_"], len(tokens)) is not None
