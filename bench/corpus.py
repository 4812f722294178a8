"""Synthetic but plausible mentions for the benchmarks: a telecom brand's day in Spanish and English.

Deterministic (seeded) so runs compare; varied enough that triage, full-text search and the
rollups see a realistic mix of sentiment, topics and authors.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

OPENINGS = [
    "Llevo dos horas",
    "Otra vez",
    "Hoy",
    "Desde esta mañana",
    "Por tercera vez esta semana",
    "Buenas,",
    "@Telco",
    "Increíble:",
    "Hola,",
    "Menuda tarde:",
    "Hi @Telco",
    "Again",
    "Sinceramente,",
]
BODIES = [
    "sin servicio en {city}, ¿qué pasa?",
    "sin internet en casa y nadie me contesta",
    "me habéis cobrado dos veces la factura de {month}",
    "el cargo duplicado sigue sin resolverse",
    "gracias por la atención, todo funciona perfecto",
    "la fibra va genial desde el cambio",
    "¿cuándo llega la promoción del móvil a {city}?",
    "¿alguien sabe si hay avería en {city}?",
    "sois unos inútiles y unos ladrones",
    "la caída de la red es una vergüenza",
    "no signal in {city} since this morning",
    "thanks for the quick fix, great support",
    "my bill was charged twice, I want a refund",
    "voy a poner una denuncia en consumo",
    "el técnico vino rápido, muy contento",
    "no puedo llamar ni usar datos en {city}",
    "qué mensaje tan insensible en un día de luto",
    "¿el precio de la tarifa sube en {month}?",
]
CLOSINGS = [
    "",
    "",
    " #sinservicio",
    " #fibra",
    " Gracias.",
    " Urgente.",
    " 😡",
    " 👏",
    " ¿Alguien más?",
    " Fatal.",
]
CITIES = [
    "Madrid",
    "Sevilla",
    "Valencia",
    "Bilbao",
    "Zaragoza",
    "Málaga",
    "Vigo",
    "Murcia",
    "Granada",
    "Oviedo",
]
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "octubre", "noviembre"]


def mention_text(rng: random.Random) -> str:
    body = rng.choice(BODIES).format(city=rng.choice(CITIES), month=rng.choice(MONTHS))
    return f"{rng.choice(OPENINGS)} {body}{rng.choice(CLOSINGS)} ({rng.randrange(10_000)})"


def webhook_items(
    *,
    count: int,
    seed: int = 7,
    authors: int = 20_000,
    prefix: str = "m",
    duplicate_share: float = 0.0,
    start: datetime | None = None,
) -> list[dict]:
    """Items in the generic webhook's JSON shape; `duplicate_share` of them re-send an earlier id."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    items: list[dict] = []
    for number in range(count):
        if items and rng.random() < duplicate_share:
            items.append(dict(items[rng.randrange(len(items))]))
            continue
        author = rng.randrange(authors)
        items.append(
            {
                "id": f"{prefix}{number}",
                "text": mention_text(rng),
                "created_at": (start + timedelta(milliseconds=number * 37)).isoformat(),
                "author": {
                    "id": f"a{author}",
                    "handle": f"user{author}",
                    "name": f"User {author}",
                    "followers": int(rng.paretovariate(1.2) * 50),
                },
                "language": "es",
            }
        )
    return items
