"""The demo channel: replays a scripted day of a telecom brand's mentions at a configurable speed.

The day has four acts: a calm morning, a network outage ("sin servicio", "caída") that turns into a
spike, a cheerful scheduled brand post that lands during a national tragedy, a billing error, and a
slow recovery. The script is deterministic (seeded), so tests can rely on the shape of every act.
The cursor holds the real time the replay started and the simulated second already emitted.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from inbox.connectors.base import (
    Capabilities,
    Connector,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
    require_id,
    require_text,
)
from inbox.connectors.normalise import as_int

MINUTE = 60


@dataclass(frozen=True)
class Act:
    name: str
    start_minute: int
    end_minute: int
    per_minute: float
    lines: tuple[str, ...]
    english_share: float = 0.1
    english_lines: tuple[str, ...] = ()


CALM = (
    "¿Alguien sabe si {brand} tiene ya la oferta de fibra de 1 Gb en {city}?",
    "Muy contento con el cambio a {brand}, la instalación fue rapidísima. ¡Gracias!",
    "Hola @{brand}, ¿cómo puedo cambiar la titularidad de mi línea?",
    "Llevo dos días esperando al técnico en {city} y nadie me llama @{brand}",
    "El roaming en Portugal me ha funcionado perfecto, buen trabajo @{brand}",
    "¿A qué hora abre la tienda de {brand} en {city} los sábados?",
    "@{brand} mi factura de este mes no coincide con lo contratado, ¿me lo revisáis?",
    "Gracias al equipo de {brand} por resolver lo del router tan rápido 👏",
    "¿Se puede contratar la tarifa joven de {brand} si ya soy cliente?",
    "La cobertura 5G en {city} ha mejorado mucho este mes",
)
CALM_EN = (
    "Does @{brand} have a prepaid SIM for tourists? Landing in {city} tomorrow.",
    "Great support chat with @{brand} today, thanks!",
)
OUTAGE = (
    "@{brand} sin servicio en {city} desde hace una hora, ¿qué pasa?",
    "Otra vez caída la fibra de {brand} en {city}. Trabajo desde casa y no puedo hacer nada",
    "¿Hay una caída general de {brand}? Ni datos ni llamadas #CaidaMovil",
    "@{brand} llevo toda la mañana sin internet y vuestro teléfono no contesta. Vergüenza.",
    "Sin cobertura en todo {city}, @{brand} dad la cara #SinServicio",
    "Mi negocio depende de la conexión y {brand} lleva 3 horas caído. Pienso reclamar a consumo",
    "@{brand} ¿tenéis hora estimada de vuelta del servicio? En {city} seguimos sin línea",
    "Pagando la tarifa más cara para esto. @{brand} devolvednos el dinero de hoy #CaidaMovil",
    "La caída de {brand} ya sale en las noticias y aquí nadie informa de nada",
    "Abuela sola en casa sin teléfono por la avería de {brand}. Esto es muy grave",
)
OUTAGE_EN = (
    "@{brand} no signal at all in {city} since this morning, what is going on? #outage",
    "Is @{brand} down? No data, no calls. Worst service ever.",
)
TRAGEDY = (
    "¿En serio @{brand}? ¿Un tuit de #FelizViernes con lo que acaba de pasar en {city}? Qué falta de respeto",
    "Borrad ese tuit ya, @{brand}. Hay víctimas y vosotros con emojis de fiesta",
    "Vergonzoso el mensaje de {brand} hoy. Un poco de sensibilidad con las familias",
    "El community manager de {brand} no se entera de nada. Día de luto y publicando ofertas",
    "Me doy de baja de {brand}. No se puede ser tan insensible",
    "Captura hecha del tuit de @{brand} antes de que lo borren. Lamentable",
)
BILLING = (
    "@{brand} me habéis cobrado dos veces la factura de este mes, ¿qué está pasando?",
    "Cargo duplicado de {brand} en la cuenta. Como yo, media España. #CobroDoble",
    "@{brand} la promoción decía 20 € y me cobráis 45 €. Publicidad engañosa",
    "Ya he puesto la reclamación en la OCU por el cobro doble de {brand}",
)
RECOVERY = (
    "Vuelve a funcionar la fibra en {city}, gracias por la info @{brand}",
    "Por fin tengo línea otra vez. A ver si compensan a los clientes @{brand}",
    "@{brand} ¿vais a compensar las horas sin servicio en la factura?",
    "Buen detalle el comunicado de {brand} explicando la avería",
    "Ya tengo datos otra vez en {city}. Gracias al equipo técnico",
)
TROLLS = (
    "{brand} sois unos inútiles y unos ladrones jajaja",
    "@{brand} basura de empresa, basura de gente",
)
CITIES = ("Madrid", "Sevilla", "Valencia", "Bilbao", "Zaragoza", "Málaga", "Barcelona", "Murcia", "Vigo")

ACTS = (
    Act("calm", 0, 120, 1.5, CALM, english_lines=CALM_EN),
    Act("outage", 120, 180, 40.0, OUTAGE + TROLLS, english_lines=OUTAGE_EN),
    Act("tragedy_post", 180, 215, 25.0, TRAGEDY + OUTAGE[:3]),
    Act("billing", 215, 250, 15.0, BILLING + CALM[:3]),
    Act("recovery", 250, 330, 3.0, RECOVERY + CALM, english_lines=CALM_EN),
)
DAY_MINUTES = ACTS[-1].end_minute


def scripted_day(*, brand: str = "Telco", seed: int = 12, cycle: int = 0) -> list[tuple[float, dict[str, Any]]]:
    """Every mention of the day as (simulated second, fields), in order."""
    rng = random.Random(seed + cycle)
    handles = [
        f"{name}{rng.randint(1, 999)}"
        for name in (
            "lucia",
            "javi",
            "marta",
            "pablo",
            "irene",
            "sergio",
            "nuria",
            "dani",
            "elena",
            "raul",
            "carmen",
            "alvaro",
            "laura",
            "hugo",
            "sofia",
            "mario",
            "paula",
            "ivan",
            "alba",
            "diego",
        )
    ]
    handles += [f"user{index}" for index in range(200)]
    events: list[tuple[float, dict[str, Any]]] = []
    sequence = 0
    for act in ACTS:
        for minute in range(act.start_minute, act.end_minute):
            count = _poisson(rng, act.per_minute)
            for _ in range(count):
                second = minute * MINUTE + rng.uniform(0, MINUTE)
                english = act.english_lines and rng.random() < act.english_share
                template = rng.choice(act.english_lines if english else act.lines)
                handle = rng.choice(handles)
                sequence += 1
                events.append(
                    (
                        second,
                        {
                            "id": f"sim-{cycle}-{sequence}",
                            "text": template.format(brand=brand, city=rng.choice(CITIES)),
                            "lang": "en" if english else "es",
                            "act": act.name,
                            "handle": handle,
                            "followers": int(rng.paretovariate(1.2) * 80),
                            "verified": rng.random() < 0.02,
                        },
                    )
                )
    events.sort(key=lambda pair: pair[0])
    return events


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method is fine for the small means of a script."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, product, count = pow(2.718281828459045, -mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


class SimulatorConnector(Connector):
    kind = "simulator"
    capabilities = Capabilities(reply=True, hide=True, max_length=2000, publish=True)
    batch_limit = 500

    def fetch_since(self, cursor: dict[str, Any], *, now: datetime | None = None) -> FetchResult:
        now = now or timezone.now()
        speed = float(self.config.get("speed", settings.SIMULATOR_SPEED))
        brand = self.config.get("brand", "Telco")
        started_at = cursor.get("started_at")
        started = datetime.fromisoformat(started_at) if started_at else now
        emitted = float(cursor.get("emitted_second", -1.0))
        cycle = int(cursor.get("cycle", 0))
        simulated_now = (now - started).total_seconds() * speed
        if simulated_now >= DAY_MINUTES * MINUTE:
            if not self.config.get("loop", True):
                return FetchResult(next_cursor=cursor)
            started, emitted, cycle, simulated_now = now, -1.0, cycle + 1, 0.0
        mentions: list[NormalizedMention] = []
        last_second = emitted
        for second, item in scripted_day(brand=brand, seed=int(self.config.get("seed", 12)), cycle=cycle):
            if second <= emitted:
                continue
            if second > simulated_now or len(mentions) >= self.batch_limit:
                break
            posted_at = started + timedelta(seconds=second / speed)
            mentions.append(self.normalise(item, posted_at=posted_at))
            last_second = second
        next_cursor = {"started_at": started.isoformat(), "emitted_second": last_second, "cycle": cycle}
        return FetchResult(mentions=mentions, next_cursor=next_cursor)

    def normalise(self, item: Any, *, posted_at: datetime) -> NormalizedMention:
        """A scripted item; anything else (a hand-edited script) is ItemInvalid like any platform's."""
        if not isinstance(item, dict):
            raise ItemInvalid(f"simulated item is not an object: {str(item)[:80]}")
        external_id = require_id(item.get("id"), field_name="id")
        handle = require_text(item.get("handle"), field_name="handle").strip()
        return NormalizedMention(
            external_id=external_id,
            text=require_text(item.get("text"), field_name="text"),
            posted_at=posted_at,
            author=NormalizedAuthor(
                external_id=f"sim-{handle}"[:128],
                handle=handle,
                display_name=handle.rstrip("0123456789").capitalize(),
                followers=as_int(item.get("followers")),
                verified=item.get("verified") is True,
            ),
            conversation_id=external_id,
            url="",
            language=str(item.get("lang") or "")[:8],
            raw={"simulated": True, "act": str(item.get("act") or "")},
            engagement=as_int(item.get("engagement")),
        )

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        return f"sim-reply-{in_reply_to}-{zlib.crc32(text.encode())}"

    def publish_post(self, *, text: str) -> str:
        return f"sim-post-{zlib.crc32(text.encode())}"

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        return None
