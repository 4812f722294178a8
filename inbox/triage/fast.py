"""The fast tier: lexicon rules in Spanish and English, cheap enough for the ingestion path."""

from __future__ import annotations

import re

from inbox.triage.base import TriageInput, TriageResult

WORD = re.compile(r"[#@]?\w+", re.UNICODE)

NEGATIVE = {
    "sin", "caída", "caida", "caído", "avería", "vergüenza", "vergonzoso", "lamentable", "fatal", "peor",
    "reclamar", "reclamación", "cobrado", "duplicado", "engañosa", "baja", "inútiles", "ladrones", "basura",
    "insensible", "respeto", "grave", "nadie", "down", "worst", "outage", "no", "never", "terrible", "awful",
}
POSITIVE = {
    "gracias", "contento", "perfecto", "rápido", "rapidísima", "buen", "bueno", "mejorado", "genial", "great",
    "thanks", "love", "excellent", "funciona", "👏",
}
INSULTS = {"inútiles", "ladrones", "basura", "idiotas", "imbéciles", "stupid", "idiots", "garbage"}
OUTAGE = {"sin servicio", "caída", "caida", "caído", "sin internet", "sin cobertura", "sin línea", "avería",
          "outage", "no signal", "down"}
BILLING = {"factura", "cobrado", "cobro", "cargo", "promoción", "precio", "billing", "charged", "refund"}
URGENT = {"consumo", "ocu", "abogado", "denuncia", "noticias", "prensa", "facua", "lawyer", "media", "news"}
TRAGEDY = {"víctimas", "luto", "tragedia", "familias", "sensibilidad", "respeto", "insensible"}


def _has_any(text: str, phrases: set[str]) -> list[str]:
    return sorted(phrase for phrase in phrases if phrase in text)


class FastTriage:
    name = "fast"

    def triage_batch(self, inputs: list[TriageInput]) -> list[TriageResult]:
        return [self.triage_one(item) for item in inputs]

    def triage_one(self, item: TriageInput) -> TriageResult:
        lowered = item.text.lower()
        words = set(WORD.findall(lowered))
        reasons: list[str] = []
        negative_hits = len(words & NEGATIVE)
        positive_hits = len(words & POSITIVE)
        score = (positive_hits - negative_hits) / max(1, positive_hits + negative_hits)
        sentiment = "negative" if score < 0 else "positive" if score > 0 else "neutral"
        outage = _has_any(lowered, OUTAGE)
        billing = _has_any(lowered, BILLING)
        urgent = _has_any(lowered, URGENT)
        tragedy = _has_any(lowered, TRAGEDY)
        insults = words & INSULTS
        topics = [name for name, hits in (("outage", outage), ("billing", billing), ("tragedy", tragedy)) if hits]
        if insults and not (outage or billing):
            category = "troll"
            reasons.append("insults without a concrete grievance")
        elif sentiment == "negative" or outage or billing:
            category = "complaint"
        elif "?" in item.text:
            category = "question"
        elif sentiment == "positive":
            category = "praise"
        else:
            category = "other"
        if item.hidden_as_troll:
            reasons.append(f"author hidden as troll {item.hidden_as_troll} times")
            if category != "complaint":
                category = "troll"
        priority = 20
        priority += {"complaint": 30, "question": 15, "troll": -10, "praise": -5}.get(category, 0)
        if sentiment == "negative":
            priority += 10
        if urgent:
            priority += 20
            reasons.append("urgency words: " + ", ".join(urgent))
        if outage:
            reasons.append("outage words: " + ", ".join(outage))
        if item.followers >= 10_000 or item.verified:
            priority += 15
            reasons.append("high-reach author")
        if item.in_open_crisis:
            priority += 10
        priority = max(0, min(100, priority))
        if category == "troll":
            action, department = "ignore", ""
        elif outage:
            action, department = "escalate", "tecnica"
        elif billing:
            action, department = "customer_service", "comercial"
        elif category in ("complaint", "question"):
            action, department = "reply", ""
        else:
            action, department = "watch", ""
        language = item.language or ("en" if words & {"the", "is", "no", "my", "and", "what"} else "es")
        return TriageResult(
            language=language,
            sentiment=sentiment,
            sentiment_score=round(score, 3),
            category=category,
            priority=priority,
            suggested_action=action,
            suggested_department=department,
            reasons=reasons,
            topics=topics,
            tier=self.name,
        )
