"""Reads about cases: the list, one case, a mention's active cases, and the replies that quote a case's number."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from crisisdesk.models import User
from inbox.models import Mention
from inbox.models_cases import ACTIVE_CASE_STATUSES, Case, CaseDelivery, CaseStatus, DeliveryKind

CASE_PAGE_SIZE = 100

# The public reply that quotes a case's number, in the customer's language (whatever the console's language):
# the brand's own wording, offered in both, the mention's language first.
CASE_NUMBER_REPLIES = {
    "es": "Hemos abierto el caso {case}: nuestro equipo de atención al cliente te escribirá por privado.",
    "en": "We have opened case {case} — our customer service team will write to you privately.",
}
PRIVATE_REPLY_DRAFTS = {
    "es": "Hola, soy {agent}, del equipo de redes sociales. Hemos abierto el caso {case} y nuestro equipo de "
    "atención al cliente se pondrá en contacto contigo. ¿Nos dejas por aquí un correo o un teléfono?",
    "en": "Hi, this is {agent} from the social media team. We have opened case {case} and our customer service "
    "team will contact you. Could you leave us an e-mail address or a phone number here?",
}


def case_list(*, status: str = "") -> QuerySet[Case]:
    cases = Case.objects.select_related("owner").annotate(mention_count=Count("mentions"))
    if status == "active":
        cases = cases.filter(status__in=ACTIVE_CASE_STATUSES)
    elif status in CaseStatus.values:
        cases = cases.filter(status=status)
    return cases.order_by("-created_at", "-id")


def case_detail(*, number: str) -> Case | None:
    mentions = Mention.objects.select_related("channel", "author").defer("search_vector").order_by("posted_at", "id")
    deliveries = CaseDelivery.objects.select_related("mention__author", "created_by").order_by("created_at", "id")
    return (
        Case.objects.select_related("owner")
        .prefetch_related(Prefetch("mentions", queryset=mentions), Prefetch("deliveries", queryset=deliveries))
        .filter(number=number.upper())
        .first()
    )


def mention_active_cases(*, mention_id: int) -> list[Case]:
    return list(Case.objects.filter(mentions=mention_id, status__in=ACTIVE_CASE_STATUSES).order_by("-created_at"))


def mentions_attach_active_cases(mentions: Iterable[Mention]) -> list[Mention]:
    """Give each mention `active_cases` (its open or handed-off cases), in one query for the whole page."""
    rows = list(mentions)
    by_mention: dict[int, list[Case]] = defaultdict(list)
    through = Case.mentions.through.objects.filter(
        mention_id__in=[row.pk for row in rows], case__status__in=ACTIVE_CASE_STATUSES
    ).select_related("case")
    for link in through:
        by_mention[link.mention_id].append(link.case)
    for row in rows:
        row.active_cases = by_mention.get(row.pk, [])  # type: ignore[attr-defined]
    return rows


def _languages_for(mention: Mention) -> list[str]:
    """Spanish and English, the mention's own language first (Spanish when it is neither)."""
    first = (mention.language or "")[:2].lower()
    return ["en", "es"] if first == "en" else ["es", "en"]


def case_reply_templates(*, mention: Mention) -> list[tuple[str, str, str]]:
    """The composer's templates that quote the number of the mention's active cases (`inbox.hooks`)."""
    templates = []
    for case in mention_active_cases(mention_id=mention.pk):
        for language in _languages_for(mention):
            name = (_("Case %(number)s, in Spanish") if language == "es" else _("Case %(number)s, in English")) % {
                "number": case.number
            }
            templates.append(("case", name, CASE_NUMBER_REPLIES[language].replace("{case}", case.number)))
    return templates


def private_reply_draft(*, case: Case, mention: Mention, author: User) -> str:
    language = _languages_for(mention)[0]
    return PRIVATE_REPLY_DRAFTS[language].replace("{case}", case.number).replace("{agent}", author.signature_name)


def private_reply_mentions(case: Case) -> list[tuple[Mention, CaseDelivery | None]]:
    """Each of the case's mentions with the private reply already made to it (the latest), if any."""
    replies: dict[int, CaseDelivery] = {}
    for delivery in case.deliveries.all():
        if delivery.kind == DeliveryKind.PRIVATE_REPLY and delivery.mention_id is not None:
            replies[delivery.mention_id] = delivery
    return [(mention, replies.get(mention.pk)) for mention in case.mentions.all()]
