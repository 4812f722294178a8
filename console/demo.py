"""Demo data for a Spanish telecom brand. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.db import transaction

from crisisdesk.models import Role, User
from escalation.models import Department
from inbox.models import Channel, ChannelKind

DEMO_PASSWORD = "crisis-demo-2026"
BRAND = "Telco"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    heads: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("ana", "Ana", "García", Role.COMMUNITY_MANAGER),
    DemoUser("luis", "Luis", "Romero", Role.COMMUNITY_MANAGER),
    DemoUser("marta", "Marta", "Iglesias", Role.DEPARTMENT_HEAD, heads=("tecnica",)),
    DemoUser("jorge", "Jorge", "Navarro", Role.DEPARTMENT_HEAD, heads=("comercial", "atencion-cliente")),
    DemoUser("pilar", "Pilar", "Sanz", Role.DEPARTMENT_HEAD, heads=("juridico",)),
    DemoUser("raquel", "Raquel", "Vidal", Role.DEPARTMENT_HEAD, heads=("comunicacion",)),
    DemoUser("elena", "Elena", "Martín", Role.DIRECTOR, heads=("direccion-general",)),
    DemoUser("admin", "Admin", "Crisis Desk", Role.ADMIN),
)

DEPARTMENTS = (
    ("tecnica", "Técnica"),
    ("comercial", "Comercial"),
    ("juridico", "Jurídico"),
    ("atencion-cliente", "Atención al cliente"),
    ("comunicacion", "Comunicación"),
    ("direccion-general", "Dirección General"),
)

CHANNELS = (
    {"name": "Simulador Telco", "kind": ChannelKind.SIMULATOR, "poll_interval_seconds": 2, "is_enabled": True,
     "config": {"brand": BRAND}},
    {"name": "@Telco_es en X", "kind": ChannelKind.X, "base_url": "https://api.x.com", "is_enabled": False,
     "config": {"user_id": "", "query": "@Telco_es -is:retweet"}},
    {"name": "Telco en Mastodon", "kind": ChannelKind.MASTODON, "base_url": "https://mastodon.social",
     "is_enabled": False},
    {"name": "Página de Facebook Telco", "kind": ChannelKind.FACEBOOK, "is_enabled": True},
    {"name": "Foro de clientes (RSS)", "kind": ChannelKind.RSS, "base_url": "https://foro.example.com/feed",
     "is_enabled": False},
)


@transaction.atomic
def demo_seed() -> list[tuple[str, str, str]]:
    """Create the demo users, departments and channels; returns (username, password, role) to print."""
    departments = {}
    for slug, name in DEPARTMENTS:
        departments[slug], _ = Department.objects.get_or_create(slug=slug, defaults={"name": name})
    logins = []
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "role": spec.role,
                "email": f"{spec.username}@telco.example",
                "is_staff": spec.role == Role.ADMIN,
                "is_superuser": spec.role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for slug in spec.heads:
            departments[slug].heads.add(user)
            departments[slug].members.add(user)
            if departments[slug].on_duty_id is None:
                departments[slug].on_duty = user
                departments[slug].save(update_fields=["on_duty"])
        logins.append((spec.username, DEMO_PASSWORD, user.get_role_display()))
    for channel in CHANNELS:
        Channel.objects.get_or_create(
            kind=channel["kind"], name=channel["name"], defaults={**channel, "brand": BRAND}
        )
    for seed in _app_seeders():
        seed()
    return logins


def _app_seeders():
    """Each app may add its own demo data in `<app>/demo.py` as `seed()`."""
    for app in ("inbox", "escalation", "playbooks"):
        try:
            module = import_module(f"{app}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.demo":
                raise
            continue
        yield module.seed
