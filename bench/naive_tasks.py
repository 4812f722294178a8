"""The naive baseline the ingest benchmark compares against: one task and one ORM save() per mention.

It does the same work as the product's pipeline (normalise, dedupe, author, fast triage, minute
counter, live push) the obvious way. It exists only for the benchmark; the worker loads it with
`--include bench.naive_tasks`.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crisisdesk.realtime import INBOX_GROUP, event, publish_on_commit
from inbox.connectors.webhook import WebhookConnector
from inbox.models import Author, Channel, Mention, MentionMinuteStat
from inbox.triage import TriageInput, fast_tier

_parser = WebhookConnector()


@shared_task(name="bench.naive_mention_ingest", acks_late=True, ignore_result=True)
def naive_mention_ingest(channel_id: int, item: dict) -> bool:
    channel = Channel.objects.get(pk=channel_id)
    mention = _parser.normalise(item)
    with transaction.atomic():
        if Mention.objects.filter(channel=channel, external_id=mention.external_id).exists():
            return False
        author, _ = Author.objects.get_or_create(
            platform=channel.kind,
            external_id=mention.author.external_id,
            defaults={
                "handle": mention.author.handle,
                "display_name": mention.author.display_name,
                "followers": mention.author.followers,
            },
        )
        triage = fast_tier().triage_one(
            TriageInput(
                text=mention.text,
                language=mention.language,
                followers=author.followers,
                verified=author.verified,
                previous_mentions=author.mention_count,
                hidden_as_troll=author.hidden_as_troll_count,
                in_open_crisis=False,
            )
        )
        now = timezone.now()
        row = Mention(
            channel=channel,
            external_id=mention.external_id,
            conversation_id=mention.external_id,
            author=author,
            text=mention.text,
            language=triage.language,
            posted_at=mention.posted_at,
            received_at=now,
            raw=mention.raw,
            sentiment=triage.sentiment,
            sentiment_score=triage.sentiment_score,
            category=triage.category,
            priority=triage.priority,
            suggested_action=triage.suggested_action,
            suggested_department=triage.suggested_department,
            triage_reasons=triage.reasons,
            triage_tier=triage.tier,
        )
        row.save()
        Author.objects.filter(pk=author.pk).update(mention_count=F("mention_count") + 1)
        stat, _ = MentionMinuteStat.objects.get_or_create(
            minute=now.replace(second=0, microsecond=0), brand=channel.brand, channel=channel, topic=""
        )
        MentionMinuteStat.objects.filter(pk=stat.pk).update(
            volume=F("volume") + 1, negative=F("negative") + int(triage.sentiment == "negative")
        )
        publish_on_commit(
            [INBOX_GROUP], event("mention.new", count=1, mentions=[{"id": row.pk, "text": row.text}])
        )
    return True
