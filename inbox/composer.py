"""The reply composer: ready-made wordings with their variables filled, and checks before a reply goes out.

Nothing here writes: templates are read from the open crisis's playbook snapshot and from the
departments' approved answers, and the checks only warn. The community manager may always send.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.models import User
from crisisdesk.text import template_render
from inbox import hooks
from inbox.models import Mention

NEXT_UPDATE = timedelta(minutes=30)
TEMPLATE_LIMIT = 20

# Common misspellings and chat shorthand, written as a customer would never want to read them.
MISSPELLINGS = {
    # Spanish
    "porfavor": "por favor",
    "aver": "a ver",
    "tambien": "también",
    "despues": "después",
    "informacion": "información",
    "solucion": "solución",
    "atencion": "atención",
    "aqui": "aquí",
    "asi": "así",
    "perdon": "perdón",
    "rapido": "rápido",
    "telefono": "teléfono",
    "facil": "fácil",
    "dificil": "difícil",
    "ocurrio": "ocurrió",
    "hechar": "echar",
    "haci": "así",
    "travez": "a través",
    "atravez": "a través",
    "inconveniencia": "inconveniente",
    "q": "que",
    "xq": "porque",
    "pq": "porque",
    "tmb": "también",
    "tb": "también",
    "dnd": "donde",
    "salu2": "saludos",
    # English
    "recieve": "receive",
    "teh": "the",
    "seperate": "separate",
    "definately": "definitely",
    "occured": "occurred",
    "untill": "until",
    "wich": "which",
    "thier": "their",
    "adress": "address",
    "accomodate": "accommodate",
    "tommorow": "tomorrow",
    "tomorow": "tomorrow",
    "bussiness": "business",
    "sucessful": "successful",
    "inconvinience": "inconvenience",
    "inconvenince": "inconvenience",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
}
REPEAT_ALLOWED = {"had", "that", "is"}

# Careless tone: belittling, laughing, sarcasm, blaming the customer. Matched without accents.
CARELESS = [
    r"tranquil[oa]s?",
    r"calma(te)?",
    r"relajate",
    r"no es para tanto",
    r"no pasa nada",
    r"exager(as|ando|ado|ada)",
    r"obviamente",
    r"como ya (te )?(dijimos|hemos dicho|explicamos)",
    r"(es )?(tu|su) culpa",
    r"culpa (tuya|suya)",
    r"deberias haber",
    r"si hubieras? leido",
    r"que sorpresa",
    r"claro,? porque",
    r"lol",
    r"xd+",
    r"(ja){2,}j?",
    r"(je){2,}j?",
    r"(ha){2,}h?",
    r"lmao",
    r"calm down",
    r"relax",
    r"chill( out)?",
    r"no big deal",
    r"not a big deal",
    r"obviously",
    r"as we (already )?said",
    r"your (own )?fault",
    r"you should have",
    r"if you had read",
    r"whatever",
    r"what a surprise",
]
CARELESS_PATTERN = re.compile(r"(?<!\w)(" + "|".join(CARELESS) + r")(?!\w)")
SARCASM_MARKERS = re.compile(r"(?<!\w)/s(?!\w)|\(\s*(sic|ironia|irony)\s*\)|¬¬|:\s*roll\s*eyes\s*:|🙄")

# During a declared crisis a cheerful word reads as indifference.
CHEERFUL = [
    r"genial",
    r"fantastic[oa]s?",
    r"increible",
    r"estupend[oa]s?",
    r"super",
    r"guay",
    r"feliz",
    r"felices",
    r"enhorabuena",
    r"celebr\w*",
    r"divertid[oa]s?",
    r"alegr\w*",
    r"emocionad[oa]s?",
    r"great",
    r"awesome",
    r"amazing",
    r"fantastic",
    r"happy",
    r"exciting",
    r"excited",
    r"fun",
    r"yay",
    r"woo+hoo+",
    r"congrat\w*",
    r"brilliant",
]
CHEERFUL_PATTERN = re.compile(r"(?<!\w)(" + "|".join(CHEERFUL) + r")(?!\w)")
EMOJI_PATTERN = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, supplemental symbols
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats
    "\u2b00-\u2bff"  # arrows and stars used as emoji
    "\u3030\u303d\u3297\u3299"
    "]"
)
HASHTAG_PATTERN = re.compile(r"(?<![\w#&])#\w*[^\W\d_]\w*")
PLACEHOLDER_PATTERN = re.compile(r"\{(\w+)\}")
WORD_PATTERN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
SPANISH_HINTS = {"que", "el", "la", "los", "las", "de", "por", "para", "con", "una", "gracias", "hola"}
ENGLISH_HINTS = {"the", "you", "your", "we", "are", "is", "to", "and", "thanks", "hello", "sorry"}


@dataclass(frozen=True)
class ReplyWarning:
    """One thing the community manager should look at before sending; `excerpt` is the offending text."""

    code: str
    message: str
    excerpt: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ReplyTemplate:
    source: str
    name: str
    body: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _plain(text: str) -> str:
    """Lower case without accents, so "Tranquilo" and "tranquilo" match the same pattern."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _guess_language(text: str) -> str:
    words = {word.lower() for word in WORD_PATTERN.findall(text)}
    if any(char in text for char in "¿¡ñáéíóú"):
        return "es"
    spanish, english = len(words & SPANISH_HINTS), len(words & ENGLISH_HINTS)
    if spanish == english:
        return ""
    return "es" if spanish > english else "en"


def _spelling(text: str) -> list[ReplyWarning]:
    found = []
    for word in WORD_PATTERN.findall(text):
        right = MISSPELLINGS.get(word.lower())
        if right:
            found.append(
                ReplyWarning(
                    "spelling",
                    _("“%(wrong)s”: did you mean “%(right)s”?") % {"wrong": word, "right": right},
                    word,
                )
            )
    return found


def _repeated_words(text: str) -> list[ReplyWarning]:
    found = []
    for match in re.finditer(r"(?<!\w)([^\W\d_]+)\s+(\1)(?!\w)", text, flags=re.IGNORECASE):
        if match.group(1).lower() in REPEAT_ALLOWED:
            continue
        message = _("“%(word)s” is written twice.") % {"word": match.group(1)}
        found.append(ReplyWarning("repeated_word", message, match.group(0)))
    return found


def _opening_marks(text: str) -> list[ReplyWarning]:
    """Spanish questions and exclamations open with ¿ and ¡; a sentence closed with ? or ! needs them."""
    found = []
    for sentence in re.findall(r"[^.?!…\n]*[?!]+", text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if "?" in sentence and "¿" not in sentence:
            found.append(ReplyWarning("opening_mark", _("A question in Spanish opens with “¿”."), sentence))
        elif "!" in sentence and "?" not in sentence and "¡" not in sentence:
            message = _("An exclamation in Spanish opens with “¡”.")
            found.append(ReplyWarning("opening_mark", message, sentence))
    return found


def _all_caps(text: str) -> list[ReplyWarning]:
    """Shouting: three capitalised words in a row, or a long text mostly in capitals (acronyms are fine)."""
    run = re.search(r"(?:(?<!\w)[^\W\d_a-z]{2,}(?!\w)[\s,;:.!¡?¿]+){2,}(?<!\w)[^\W\d_a-z]{2,}(?!\w)", text)
    letters = [char for char in text if char.isalpha()]
    upper = sum(1 for char in letters if char.isupper())
    if run or (len(letters) >= 12 and upper / len(letters) > 0.6):
        return [ReplyWarning("all_caps", _("Capital letters read as shouting."), run.group(0) if run else "")]
    return []


def _careless_tone(text: str) -> list[ReplyWarning]:
    found = []
    plain = _plain(text)
    for match in CARELESS_PATTERN.finditer(plain):
        found.append(
            ReplyWarning(
                "tone",
                _("“%(words)s” may sound careless or blame the customer.") % {"words": match.group(0)},
                match.group(0),
            )
        )
    for match in SARCASM_MARKERS.finditer(plain):
        found.append(ReplyWarning("tone", _("Sarcasm is easily misread in public."), match.group(0)))
    return found


def _crisis_words(text: str) -> list[ReplyWarning]:
    found = []
    for match in CHEERFUL_PATTERN.finditer(_plain(text)):
        found.append(
            ReplyWarning(
                "cheerful",
                _("“%(word)s” sounds cheerful during a crisis.") % {"word": match.group(0)},
                match.group(0),
            )
        )
    emojis = EMOJI_PATTERN.findall(text)
    if emojis:
        found.append(ReplyWarning("emoji", _("No emojis during a crisis."), "".join(dict.fromkeys(emojis))))
    for hashtag in HASHTAG_PATTERN.findall(text):
        message = _("No hashtags during a crisis: %(tag)s") % {"tag": hashtag}
        found.append(ReplyWarning("hashtag", message, hashtag))
    return found


def _placeholders(text: str) -> list[ReplyWarning]:
    found = []
    for match in PLACEHOLDER_PATTERN.finditer(text):
        message = _("Fill in %(variable)s before sending.") % {"variable": match.group(0)}
        found.append(ReplyWarning("placeholder", message, match.group(0)))
    return found


def reply_checks(*, text: str, in_crisis: bool, language: str = "") -> list[ReplyWarning]:
    """Warnings about a draft reply, in the order a reader would meet them. Pure: no database, no network.

    `language` is the mention's ("es", "en"); when unknown it is guessed from the draft, and the
    Spanish-only rule (opening ¿ and ¡) applies only to Spanish. Crisis rules (cheerful words, emojis,
    hashtags) apply only while a crisis is declared.
    """
    text = text or ""
    if not text.strip():
        return []
    language = (language or _guess_language(text))[:2].lower()
    warnings = _placeholders(text) + _spelling(text) + _repeated_words(text)
    if language == "es":
        warnings += _opening_marks(text)
    warnings += _all_caps(text) + _careless_tone(text)
    if in_crisis:
        warnings += _crisis_words(text)
    unique: dict[tuple[str, str], ReplyWarning] = {}
    for warning in warnings:
        unique.setdefault((warning.code, warning.excerpt.lower()), warning)
    return list(unique.values())


def mention_active_crisis(*, mention: Mention):
    """The crisis a reply to this mention is written in: one the mention belongs to, else the banner's."""
    return hooks.crisis_reader().mention_active_crisis(mention=mention)


def template_variables(*, mention: Mention, author: User, crisis=None) -> dict[str, str]:
    """What a template may say about the person, the agent and the crisis.

    `{firma}` is left empty: every reply is signed on sending, and a second signature would repeat it.
    """
    next_update = timezone.localtime(timezone.now() + NEXT_UPDATE).strftime("%H:%M")
    variables = {
        "nombre": mention.author.display_name or f"@{mention.author.handle}",
        "usuario": f"@{mention.author.handle}",
        "agente": author.signature_name,
        "firma": "",
        "hora_siguiente_actualizacion": next_update,
    }
    if crisis is not None:
        variables["crisis"] = crisis.title
    return variables


def _fill(body: str, variables: dict[str, str]) -> str:
    filled = template_render(body, variables)
    return re.sub(r"[ \t]{2,}", " ", filled).strip()


def reply_templates(*, mention: Mention, author: User) -> list[ReplyTemplate]:
    """Ready-made replies: the running crisis's playbook templates first, then approved department answers.

    Variables are filled for this mention and this community manager; unknown ones (`{zona}`) stay
    visible, and `reply_checks` reminds the sender to fill them.
    """
    crisis = mention_active_crisis(mention=mention)
    variables = template_variables(mention=mention, author=author, crisis=crisis)
    templates = []
    if crisis is not None:
        templates += [
            ReplyTemplate("playbook", name, _fill(body, variables))
            for name, body in hooks.crisis_reader().crisis_reply_templates(crisis=crisis)
        ]
    templates += [
        ReplyTemplate(source, name, _fill(body, variables))
        for source, name, body in hooks.mention_reply_templates(mention=mention)
    ]
    for department, text in hooks.department_answers(limit=TEMPLATE_LIMIT):
        templates.append(ReplyTemplate("department", department, _fill(text, variables)))
    return templates[:TEMPLATE_LIMIT]
