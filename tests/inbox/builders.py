"""Small builders for inbox tests: normalised mentions as a connector would hand them over."""

from __future__ import annotations

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from inbox import services
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.services.common import IngestReport


def normalized(
    external_id: str,
    text: str = "Sin servicio en Madrid desde esta mañana",
    *,
    author: str = "lucia",
    followers: int = 120,
    minutes_ago: int = 1,
    **fields,
) -> NormalizedMention:
    return NormalizedMention(
        external_id=external_id,
        text=text,
        posted_at=timezone.now() - timedelta(minutes=minutes_ago),
        author=NormalizedAuthor(
            external_id=f"sim-{author}", handle=author, display_name=author.title(), followers=followers
        ),
        language="es",
        **fields,
    )


def ingest_committed(*, channel, mentions: list[NormalizedMention], **options) -> IngestReport:
    """`mentions_ingest`, then what its commit sets off (the live push, folding the cluster tallies).

    A test's transaction never commits, so without this the after-commit work would never run.
    """
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.mentions_ingest(channel=channel, mentions=mentions, **options)


async def receive_first(communicator, matching, *, timeout: float = 5) -> dict:
    """The first websocket message `matching` accepts, skipping unrelated live events; times out otherwise."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if matching(message):
            return message
