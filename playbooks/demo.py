"""Demo playbooks for a Spanish telecom brand: 3 crisis types × 3 levels. Idempotent.

The lessons come from the Spanish articles in the project's background: answer fast and honestly,
never delete comments, do not feed trolls, never publish cheerful content during a tragedy (the
#FelizNoche tweet after the Santiago train accident), and get the other departments' support early.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypedDict

from django.db import transaction
from django.utils import timezone

from crisisdesk.models import User
from inbox.models import Channel, ChannelKind, ScheduledPost
from playbooks.models import CrisisLevel, CrisisType, Playbook
from playbooks.services import (
    playbook_version_create,
    scheduled_post_approve,
    scheduled_post_create,
    scheduled_post_submit,
)

CM = "community_manager"
DIRECTOR = "director"

HOLDING = (
    "Sabemos que {asunto} y lo sentimos. Nuestro equipo ya está trabajando para resolverlo. "
    "Daremos la próxima actualización a las {hora_siguiente_actualizacion}."
)

PRINCIPLES = [
    "Responder rápido: una primera respuesta honesta vale más que una respuesta perfecta tarde.",
    "No borrar comentarios críticos: se ocultan solo los insultos y el spam, y siempre se anota el motivo.",
    "No alimentar a los trolls: si no hay una queja concreta detrás, no se entra en la discusión.",
    "Firmar cada respuesta con el nombre de quien responde: el cliente habla con una persona, "
    "no con un logo.",
    "Pedir disculpas cuando la culpa es nuestra, sin excusas ni tecnicismos.",
]

Step = tuple[int, str, str]


class TypeSpec(TypedDict):
    name: str
    asunto: str
    summary: str
    departments: list[str]
    steps: list[Step]
    extra: dict[int, list[Step]]
    templates: list[dict[str, str]]
    principles: list[str]


class LevelSpec(TypedDict):
    label: str
    notify: list[str]
    decision_makers: list[str]
    approvers: list[str]
    approval: str
    departments: int


TYPE_SPECS: dict[str, TypeSpec] = {
    CrisisType.TECHNICAL: {
        "name": "Crisis técnica",
        "asunto": "hay una incidencia que afecta al servicio",
        "summary": "Caídas de red, averías masivas, «sin servicio»: la gente no puede trabajar ni llamar.",
        "departments": ["tecnica", "atencion-cliente"],
        "steps": [
            (0, CM, "Confirmar con Técnica el alcance de la avería (zonas, servicios, desde qué hora)"),
            (
                10,
                CM,
                "Publicar el mensaje de espera fijado en todos los canales con la hora de la próxima "
                "actualización",
            ),
            (15, CM, "Responder una a una las menciones de clientes afectados con la plantilla de avería"),
            (30, CM, "Actualizar el estado cada 30 minutos aunque no haya novedades"),
        ],
        "extra": {
            2: [
                (20, DIRECTOR, "Decidir si se ofrece compensación y comunicarlo a Atención al cliente"),
                (45, CM, "Coordinar con Comunicación una nota para medios si la avería sale en prensa"),
            ],
            3: [
                (5, DIRECTOR, "Convocar el comité de crisis (Dirección, Técnica, Comunicación, Jurídico)"),
                (30, DIRECTOR, "Aprobar un comunicado oficial firmado por Dirección"),
            ],
        },
        "templates": [
            {
                "name": "Avería",
                "body": "Hola {nombre}, sentimos mucho las molestias. Hay una incidencia en {zona} y el "
                "equipo técnico ya está trabajando. Te contamos novedades a las "
                "{hora_siguiente_actualizacion}. {firma}",
            },
            {
                "name": "Servicio restablecido",
                "body": "Hola {nombre}, el servicio en {zona} ya está restablecido. "
                "Si sigues sin conexión, reinicia el router y escríbenos por "
                "privado. Gracias por tu paciencia. {firma}",
            },
        ],
        "principles": ["Informar siempre de qué está pasando, aunque aún no sepamos cuándo se resolverá."],
    },
    CrisisType.COMMERCIAL: {
        "name": "Crisis comercial",
        "asunto": "algunos clientes han visto un error en su factura o en una promoción",
        "summary": "Cobros duplicados, precios o promociones mal comunicadas: atajar pronto y dar "
        "feedback al área.",
        "departments": ["comercial", "atencion-cliente"],
        "steps": [
            (0, CM, "Pedir a Comercial que confirme el error y cuántos clientes afecta"),
            (15, CM, "Publicar el mensaje de espera y pasar los casos individuales a Atención al cliente"),
            (30, CM, "Responder con la plantilla de factura explicando cómo se devolverá el importe"),
            (60, CM, "Enviar a Comercial un resumen de las quejas recibidas (feedback al área)"),
        ],
        "extra": {
            2: [(30, DIRECTOR, "Aprobar el mecanismo de devolución y el plazo que se comunica")],
            3: [
                (15, DIRECTOR, "Consultar a Jurídico por posibles reclamaciones a consumo u OCU"),
                (45, DIRECTOR, "Aprobar el comunicado público sobre la devolución"),
            ],
        },
        "templates": [
            {
                "name": "Factura",
                "body": "Hola {nombre}, tienes razón: hemos detectado un error en la factura de "
                "{mes}. Te devolveremos el importe antes del {fecha_devolucion} sin que "
                "tengas que hacer nada. Disculpa las molestias. {firma}",
            },
            {
                "name": "Promoción",
                "body": "Hola {nombre}, revisamos tu caso con la promoción {promocion}. Escríbenos "
                "por privado tu número de cliente y lo resolvemos hoy. {firma}",
            },
        ],
        "principles": [
            "Las quejas comerciales se atajan pronto y siempre se devuelve el feedback al área responsable."
        ],
    },
    CrisisType.INSTITUTIONAL: {
        "name": "Crisis institucional",
        "asunto": "una publicación nuestra ha molestado, con razón, a muchas personas",
        "summary": "Una publicación propia desafortunada, los valores de la marca o una tragedia en curso.",
        "departments": ["comunicacion", "direccion-general"],
        "steps": [
            (0, CM, "Congelar todas las publicaciones programadas (nada alegre durante una tragedia)"),
            (5, CM, "Avisar a Comunicación y a Dirección con capturas de lo publicado y de las reacciones"),
            (15, CM, "Publicar una disculpa breve y sincera, sin justificaciones"),
            (30, CM, "Responder con la plantilla de disculpa a quien pregunte; no borrar las críticas"),
        ],
        "extra": {
            2: [
                (
                    20,
                    DIRECTOR,
                    "Decidir con Comunicación si la publicación se retira (explicándolo) o se mantiene",
                )
            ],
            3: [
                (10, DIRECTOR, "Convocar el comité de crisis y designar un único portavoz"),
                (60, DIRECTOR, "Revisar el calendario editorial de los próximos días"),
            ],
        },
        "templates": [
            {
                "name": "Disculpa",
                "body": "Hola {nombre}, tienes toda la razón. Nuestra publicación de hoy fue un "
                "error y pedimos disculpas. Nuestro pensamiento está con las personas "
                "afectadas. {firma}",
            },
        ],
        "principles": [
            "Durante una tragedia no se publica contenido alegre ni promocional: el caso #FelizNoche tras el "
            "accidente de tren de Santiago enseñó que un solo tuit basta para una crisis nacional.",
            "Asumir el error y disculparse a tiempo hace que muchos críticos retiren sus comentarios.",
        ],
    },
}

LEVEL_SPECS: dict[int, LevelSpec] = {
    CrisisLevel.WATCH: {
        "label": "nivel 1 (vigilancia)",
        "notify": ["role:community_manager"],
        "decision_makers": ["role:director"],
        "approvers": ["role:director"],
        "approval": "any",
        "departments": 1,
    },
    CrisisLevel.CRISIS: {
        "label": "nivel 2 (crisis)",
        "notify": ["role:community_manager", "role:director"],
        "decision_makers": ["role:director"],
        "approvers": ["role:director"],
        "approval": "any",
        "departments": 2,
    },
    CrisisLevel.SEVERE: {
        "label": "nivel 3 (crisis grave)",
        "notify": ["role:community_manager", "role:director", "role:admin"],
        "decision_makers": ["role:director"],
        "approvers": ["role:director", "raquel"],
        "approval": "all",
        "departments": 2,
    },
}


def playbook_content(crisis_type: str, level: int) -> dict[str, Any]:
    spec = TYPE_SPECS[crisis_type]
    level_spec = LEVEL_SPECS[level]
    steps = list(spec["steps"])
    for extra_level in range(2, level + 1):
        steps += spec["extra"].get(extra_level, [])
    steps.sort(key=lambda step: step[0])
    departments = list(spec["departments"][: level_spec["departments"]])
    if level == CrisisLevel.SEVERE:
        departments += [slug for slug in ("comunicacion", "juridico") if slug not in departments]
    return {
        "title": f"{spec['name']} · {level_spec['label']}",
        "summary": spec["summary"],
        "steps": [{"minutes": minutes, "role": role, "text": text} for minutes, role, text in steps],
        "decision_makers": level_spec["decision_makers"],
        "notify": level_spec["notify"],
        "departments": departments,
        "approvers": level_spec["approvers"],
        "approval": level_spec["approval"],
        "templates": spec["templates"],
        "holding_statement": HOLDING.replace("{asunto}", spec["asunto"]),
        "principles": spec["principles"] + PRINCIPLES,
    }


@transaction.atomic
def seed() -> None:
    """Create the nine playbooks with a first version each; existing ones are left as they are."""
    for crisis_type in (CrisisType.TECHNICAL, CrisisType.COMMERCIAL, CrisisType.INSTITUTIONAL):
        for level in (CrisisLevel.WATCH, CrisisLevel.CRISIS, CrisisLevel.SEVERE):
            content = playbook_content(crisis_type, level)
            playbook, _ = Playbook.objects.get_or_create(
                crisis_type=crisis_type, level=level, defaults={"name": content["title"]}
            )
            if not playbook.versions.exists():
                playbook_version_create(
                    playbook_id=playbook.pk, content=content, actor=None, note="Versión inicial"
                )
    seed_posts()


# (hours from now, text, approved): the brand's week. The cheerful Friday post is the one a crisis must hold.
DEMO_POSTS = (
    (20, "¡Feliz viernes! 🎉 Este finde, fibra a tope para tus series y tus partidas. #FelizFinde", True),
    (44, "Recordatorio: el martes de 2:00 a 4:00 hacemos mantenimiento en la red de Valencia. "
         "Puede haber cortes breves.", True),
    (68, "Nuevo horario de atención en tienda desde el lunes: de 10:00 a 21:00, también los sábados.", False),
)


def seed_posts() -> None:
    """A few posts on the simulator channel (written by Luis, approved by Elena); left alone once any exist."""
    channel = Channel.objects.filter(kind=ChannelKind.SIMULATOR).order_by("pk").first()
    author = User.objects.filter(username="luis").first()
    approver = User.objects.filter(username="elena").first()
    if channel is None or author is None or approver is None or ScheduledPost.objects.exists():
        return
    now = timezone.now()
    for hours, text, approved in DEMO_POSTS:
        post = scheduled_post_create(
            channel_id=channel.pk, body=text, scheduled_at=now + timedelta(hours=hours), actor=author
        )
        scheduled_post_submit(post_id=post.pk, actor=author)
        if approved:
            scheduled_post_approve(post_id=post.pk, actor=approver)
