"""Batches for the crisis-cluster tests: one complaint said 150 ways, and 50 unrelated mentions."""

from __future__ import annotations

import random

from tests.inbox.builders import normalized

OPENINGS = ["", "@telco ", "@ayuda_telco ", "Hola @telco, ", "URGENTE: "]
COMPLAINT = "llevo {days} sin servicio de fibra en {city} y nadie me dice nada"
DAYS = ["dos días", "dos dias", "2 días", "3 días", "tres días"]
CITIES = ["Madrid", "madrid", "MADRID"]
ENDINGS = ["", ". Vergüenza", "!!!", " https://t.co/abc123", " #sinfibra", ", una vergüenza @telco"]
OTHERS = [
    "Me habéis cobrado dos veces la factura de {month}",
    "Gracias por el cambio de tarifa, todo perfecto en {month}",
    "¿Cuándo llega la fibra a {city}? Quiero contratarla",
    "El técnico vino puntual a {city}, muy amable",
    "Quiero darme de baja de la línea móvil número {n}",
    "Vuestra app no me deja pagar el recibo {n}",
    "Portabilidad pedida hace {n} semanas y sigo esperando",
    "Enhorabuena por el patrocinio del equipo de {city}",
    "Roaming en Francia carísimo, {n} euros por un mega",
    "La tienda de {city} cerrada en horario comercial",
]
MONTHS = ["enero", "marzo", "mayo", "julio", "octubre"]
OTHER_CITIES = ["Sevilla", "Bilbao", "Vigo", "Cuenca", "Lugo"]


def complaint_texts(count: int = 150, *, seed: int = 17) -> list[str]:
    rng = random.Random(seed)
    return [
        rng.choice(OPENINGS)
        + COMPLAINT.format(days=rng.choice(DAYS), city=rng.choice(CITIES))
        + rng.choice(ENDINGS)
        for _ in range(count)
    ]


def other_texts(count: int = 50, *, seed: int = 18) -> list[str]:
    rng = random.Random(seed)
    return [
        OTHERS[index % len(OTHERS)].format(
            month=rng.choice(MONTHS), city=rng.choice(OTHER_CITIES), n=rng.randint(2, 90)
        )
        for index in range(count)
    ]


def crisis_batch(*, complaints: int = 150, others: int = 50, authors: int | None = None, prefix: str = "m"):
    """`complaints` near-identical complaints (by `authors` distinct people, default one each) and `others`."""
    authors = authors or complaints
    items = [
        normalized(f"{prefix}-c{index}", text, author=f"cliente{index % authors}", followers=100 + index % authors)
        for index, text in enumerate(complaint_texts(complaints))
    ]
    items += [
        normalized(f"{prefix}-o{index}", text, author=f"otro{index}") for index, text in enumerate(other_texts(others))
    ]
    random.Random(3).shuffle(items)
    return items
