"""A technical outage's playbooks at levels 2 and 3, with steps for incident roles, for the crisis command tests."""

from __future__ import annotations

from datetime import datetime

from crisisdesk.models import User
from playbooks import services
from playbooks.models import Crisis, Playbook
from tests.playbooks.conftest import technical_content

LEVEL_2_STEPS = [
    {"minutes": 0, "role": "lead", "text": "Confirmar el alcance con Técnica"},
    {"minutes": 20, "role": "spokesperson", "text": "Publicar el mensaje de espera"},
    {"minutes": 30, "role": "scribe", "text": "Abrir el acta de la crisis"},
]
LEVEL_3_STEPS = [
    {"minutes": 0, "role": "lead", "text": "Confirmar el alcance con Técnica"},  # already there at level 2
    {"minutes": 15, "role": "spokesperson", "text": "Rueda de prensa con el portavoz"},
    {"minutes": 45, "role": "director", "text": "Informar al consejo de administración"},
]


def outage_playbooks() -> None:
    for level, steps in ((2, LEVEL_2_STEPS), (3, LEVEL_3_STEPS)):
        playbook = Playbook.objects.create(crisis_type="technical", level=level, name=f"Caída de red {level}")
        services.playbook_version_create(
            playbook_id=playbook.pk, content=technical_content(steps=steps), actor=None, note="v1"
        )


def outage_declared(actor: User, *, now: datetime | None = None) -> Crisis:
    return services.crisis_declare(
        actor=actor, crisis_type="technical", level=2, title="Caída de la fibra en Madrid", now=now
    )
