"""The cost of silence: what has happened on a request's topic since the question was asked.

The rule (docs/ESCALATION.md, "The cost of silence"):

- **The topic.** The mentions the request links. When some of them belong to a cluster
  (`Mention.cluster`), the topic is those clusters. Otherwise it is the mentions of the same brand
  whose text contains one of the linked mentions' top terms (`TOP_TERMS` most frequent words of four
  letters or more that are not stop words). When the linked mentions give no term (or the request links
  no mention but names a brand through them), it is simply the brand's negative mentions.
- **New mentions** are the topic's mentions received since the request was created.
- **Reach** is the followers of their distinct authors (an author counted once, as clusters count it).
- **Negative share change** compares the share of negative mentions in the topic since the question
  was asked with the share in the hour before it, in percentage points. For the "negative mentions"
  topic the share is over all the brand's mentions (otherwise it would always be 100 %).

Each request costs one aggregate query, plus one query for the linked mentions of all the requests
asked about at once: the count never depends on how many mentions there are.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, Max, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from escalation.models import PENDING_STATUSES, EscalationRequest
from inbox.models import Author, Mention, Sentiment

BEFORE_WINDOW = timedelta(hours=1)
TOP_TERMS = 3
MIN_TERM_LENGTH = 4
STOP_WORDS = frozenset(
    """
    para pero como porque cuando desde hasta sobre entre este esta estos estas todo todos toda todas
    mucho muchos poco nada algo otra otro otros ellos ellas nosotros vosotros usted ustedes tengo tiene
    tienen hace hacen hay sois somos estoy esta están estan está será sera sido ser muy más mas ahora
    ya aquí aqui allí alli dónde donde qué quien quién also with that this from have they them their
    there what when where which your about would could should been were will just than then into
    """.split()
)
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Silence:
    """The figures for one request; shares are fractions (0–1) or None when the window had no mention."""

    request_id: int
    basis: str  # "cluster", "terms", "negative" or "none"
    since: datetime
    new_mentions: int
    reach: int
    negative_share_before: float | None
    negative_share_since: float | None

    @property
    def share_change_points(self) -> int | None:
        """The change in negative share, in percentage points (since asked minus the hour before)."""
        if self.negative_share_before is None or self.negative_share_since is None:
            return None
        return round((self.negative_share_since - self.negative_share_before) * 100)

    @property
    def share_change_display(self) -> str:
        """ "+42", "−50", "0" or "—" (no mention in one of the two windows)."""
        points = self.share_change_points
        if points is None:
            return "—"
        return f"+{points}" if points > 0 else (f"−{-points}" if points < 0 else "0")

    @property
    def line(self) -> str:
        """One sentence in the active language, for the cards, the page and every message."""
        count = ngettext(
            "%(count)s new mention since asked", "%(count)s new mentions since asked", self.new_mentions
        ) % {"count": number_format(self.new_mentions, force_grouping=True)}
        return _("%(count)s · reach %(reach)s · negative share %(change)s pts vs the hour before") % {
            "count": count,
            "reach": number_format(self.reach, force_grouping=True),
            "change": self.share_change_display,
        }


@dataclass(frozen=True)
class _Topic:
    basis: str
    topic: Q  # the topic's mentions, whatever their age
    share: Q  # the mentions the negative share is measured over
    linked: tuple[int, ...] = ()  # the request's own mentions, never "new"


def top_terms(texts: Iterable[str], *, limit: int = TOP_TERMS) -> list[str]:
    """The most frequent meaningful words of these texts (ties broken alphabetically)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(
            word
            for word in (w.lower() for w in WORD.findall(text or ""))
            if len(word) >= MIN_TERM_LENGTH and word not in STOP_WORDS
        )
    return [word for word, _count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]


def _topic(linked: list[dict]) -> _Topic:
    """Which mentions make the topic of a request whose linked mentions are `linked`."""
    topic = _topic_scope(linked)
    return _Topic(topic.basis, topic.topic, topic.share, tuple(row["id"] for row in linked))


def _topic_scope(linked: list[dict]) -> _Topic:
    clusters = sorted({row["cluster_id"] for row in linked if row["cluster_id"]})
    if clusters:
        scope = Q(cluster_id__in=clusters)
        return _Topic("cluster", scope, scope)
    brands = sorted({row["channel__brand"] for row in linked})
    if not brands:
        return _Topic("none", Q(pk__in=[]), Q(pk__in=[]))
    brand = Q(channel__brand__in=brands)
    terms = top_terms(row["text"] for row in linked)
    if terms:
        matches = Q()
        for term in terms:
            matches |= Q(text__icontains=term)
        return _Topic("terms", brand & matches, brand & matches)
    return _Topic("negative", brand & Q(sentiment=Sentiment.NEGATIVE), brand)


def _linked_mentions(request_ids: list[int]) -> dict[int, list[dict]]:
    """Each request's linked mentions (cluster, brand, text), in one query for all the requests."""
    through = EscalationRequest.mentions.through
    linked: dict[int, list[dict]] = {request_id: [] for request_id in request_ids}
    rows = through.objects.filter(escalationrequest_id__in=request_ids).values(
        "escalationrequest_id", "mention_id", "mention__cluster_id", "mention__channel__brand", "mention__text"
    )
    for row in rows:
        linked[row["escalationrequest_id"]].append(
            {
                "id": row["mention_id"],
                "cluster_id": row["mention__cluster_id"],
                "channel__brand": row["mention__channel__brand"],
                "text": row["mention__text"],
            }
        )
    return linked


def _figures(*, request_id: int, asked: datetime, topic: _Topic, now: datetime) -> Silence:
    """One aggregate query: new mentions, their distinct authors' reach, the two negative shares."""
    before = Q(received_at__gte=asked - BEFORE_WINDOW, received_at__lt=asked)
    since = Q(received_at__gte=asked, received_at__lte=now)
    negative = Q(sentiment=Sentiment.NEGATIVE)
    new = topic.topic & since & ~Q(pk__in=topic.linked)
    new_authors = Mention.objects.filter(new).values("author_id")
    reach = (
        Author.objects.filter(pk__in=new_authors)
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(total=Sum("followers"))
        .values("total")
    )
    row = Mention.objects.filter((topic.topic | topic.share) & (before | since)).aggregate(
        new=Count("pk", filter=new),
        before_total=Count("pk", filter=topic.share & before),
        before_negative=Count("pk", filter=topic.share & before & negative),
        since_total=Count("pk", filter=topic.share & since),
        since_negative=Count("pk", filter=topic.share & since & negative),
        reach=Coalesce(Max(Subquery(reach, output_field=IntegerField())), 0),
    )

    def share(negative_count: int, total: int) -> float | None:
        return negative_count / total if total else None

    return Silence(
        request_id=request_id,
        basis=topic.basis,
        since=asked,
        new_mentions=row["new"],
        reach=int(row["reach"] or 0) if row["new"] else 0,
        negative_share_before=share(row["before_negative"], row["before_total"]),
        negative_share_since=share(row["since_negative"], row["since_total"]),
    )


def requests_silence(*, requests: Iterable[EscalationRequest], now: datetime | None = None) -> dict[int, Silence]:
    """The cost of silence of each request, by id: 1 + one query per request, whatever the mentions."""
    now = now or timezone.now()
    items = list(requests)
    linked = _linked_mentions([item.pk for item in items])
    return {
        item.pk: _figures(request_id=item.pk, asked=item.created_at, topic=_topic(linked[item.pk]), now=now)
        for item in items
    }


def request_silence(*, request: EscalationRequest, now: datetime | None = None) -> Silence:
    """The cost of silence of one request (two queries)."""
    return requests_silence(requests=[request], now=now)[request.pk]


def silence_attach(*, requests: list[EscalationRequest], now: datetime | None = None) -> list[EscalationRequest]:
    """Set `.silence` on the pending requests (None on the others) for the templates."""
    pending = [item for item in requests if item.status in PENDING_STATUSES]
    figures = requests_silence(requests=pending, now=now)
    for item in requests:
        item.silence = figures.get(item.pk)
    return requests


@dataclass(frozen=True)
class SilenceRow:
    request: EscalationRequest
    silence: Silence


def open_requests_silence(*, limit: int = 5, scanned: int = 50, now: datetime | None = None) -> list[SilenceRow]:
    """The director dashboard's table: the pending requests with the most new mentions (of the latest
    `scanned` pending ones, a drill's left out), most first."""
    pending = list(
        EscalationRequest.objects.filter(status__in=PENDING_STATUSES, is_drill=False)
        .select_related("department")
        .order_by("-created_at", "-id")[:scanned]
    )
    figures = requests_silence(requests=pending, now=now)
    rows = [SilenceRow(request=item, silence=figures[item.pk]) for item in pending]
    rows.sort(key=lambda row: (-row.silence.new_mentions, -row.silence.reach, row.request.pk))
    return rows[:limit]
