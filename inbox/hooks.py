"""Where apps above the inbox plug in, so that the inbox (and escalation, playbooks) never import them.

Each app registers its part in its AppConfig.ready():

- `integrations` (outgoing webhooks): `outgoing_event_emit(...)` announces an event (a crisis declared,
  an escalation overdue) to every registered emitter, inside the caller's transaction, and
  `mentions_created(...)` tells every registered listener which mentions an ingestion just stored.
  With nothing registered both are no-ops; registering the same callable twice keeps one.
- `playbooks`: `crisis_reader()` answers what the inbox and escalation ask about crises (is one open, the
  banner, a mention's crisis, its reply templates). With none registered, there is no crisis.
- `escalation`: `department_answers(...)` lists the approved wordings community managers may reuse;
  `mention_reply_templates(mention=...)` adds templates about one mention (a department's holding lines
  while a request about it is overdue), each as (source, name, body).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from inbox.models import Mention


class OutgoingEventEmitter(Protocol):
    def __call__(
        self,
        *,
        event_type: str,
        payload: dict[str, Any],
        priority: int | None = None,
        event_id: uuid.UUID | None = None,
    ) -> None: ...


MentionsCreatedListener = Callable[..., None]

_event_emitters: list[OutgoingEventEmitter] = []
_mentions_created_listeners: list[MentionsCreatedListener] = []


def outgoing_event_emitter_register(emitter: OutgoingEventEmitter) -> None:
    if emitter not in _event_emitters:
        _event_emitters.append(emitter)


def mentions_created_listener_register(listener: MentionsCreatedListener) -> None:
    """`listener(mention_ids=[...])` is called once per ingested batch with the new mentions' ids."""
    if listener not in _mentions_created_listeners:
        _mentions_created_listeners.append(listener)


def outgoing_event_emit(
    *,
    event_type: str,
    payload: dict[str, Any],
    priority: int | None = None,
    event_id: uuid.UUID | None = None,
) -> None:
    """Hand an event to every registered emitter (outgoing webhooks); call it inside the change's transaction."""
    for emitter in _event_emitters:
        emitter(event_type=event_type, payload=payload, priority=priority, event_id=event_id)


def mentions_created(*, mention_ids: list[int]) -> None:
    """Tell every registered listener (the `mention.priority_above` webhook) which mentions were stored."""
    for listener in _mentions_created_listeners:
        listener(mention_ids=mention_ids)


class CrisisReader(Protocol):
    """What apps below playbooks read about crises; a crisis is returned as the model instance (`Any` here,
    since its class lives above)."""

    def crisis_banner(self) -> Any | None: ...

    def open_crisis_exists(self, *, brand: str) -> bool: ...

    def open_crisis_level(self) -> int: ...

    def crisis_get(self, *, crisis_id: int) -> Any | None: ...

    def crisis_most_serious_open(self) -> Any | None: ...

    def mention_active_crisis(self, *, mention: Mention) -> Any | None: ...

    def active_crisis_ids(self, *, limit: int) -> list[int]: ...

    def crisis_choices(self, *, limit: int) -> list[tuple[int, str]]: ...

    def crisis_reply_templates(self, *, crisis: Any) -> list[tuple[str, str]]: ...


class NoCrisisReader:
    """The reader while no app provides one: no crisis, ever."""

    def crisis_banner(self) -> Any | None:
        return None

    def open_crisis_exists(self, *, brand: str) -> bool:
        return False

    def open_crisis_level(self) -> int:
        return 0

    def crisis_get(self, *, crisis_id: int) -> Any | None:
        return None

    def crisis_most_serious_open(self) -> Any | None:
        return None

    def mention_active_crisis(self, *, mention: Mention) -> Any | None:
        return None

    def active_crisis_ids(self, *, limit: int) -> list[int]:
        return []

    def crisis_choices(self, *, limit: int) -> list[tuple[int, str]]:
        return []

    def crisis_reply_templates(self, *, crisis: Any) -> list[tuple[str, str]]:
        return []


_crisis_reader: list[CrisisReader] = [NoCrisisReader()]

DepartmentAnswers = Callable[..., list[tuple[str, str]]]
_department_answer_sources: list[DepartmentAnswers] = []


def crisis_reader_register(reader: CrisisReader) -> None:
    """The one reader of crises (playbooks registers it); a second registration replaces the first."""
    _crisis_reader[0] = reader


def crisis_reader() -> CrisisReader:
    return _crisis_reader[0]


def department_answers_register(source: DepartmentAnswers) -> None:
    """`source(limit=n)` returns up to n (department name, approved wording) pairs, newest first."""
    if source not in _department_answer_sources:
        _department_answer_sources.append(source)


def department_answers(*, limit: int) -> list[tuple[str, str]]:
    answers: list[tuple[str, str]] = []
    for source in _department_answer_sources:
        answers += source(limit=limit)
    return answers[:limit]


MentionReplyTemplates = Callable[..., list[tuple[str, str, str]]]
_mention_template_sources: list[MentionReplyTemplates] = []


def mention_reply_templates_register(source: MentionReplyTemplates) -> None:
    """`source(mention=m)` returns (source, name, body) templates for replying to that mention."""
    if source not in _mention_template_sources:
        _mention_template_sources.append(source)


def mention_reply_templates(*, mention: Mention) -> list[tuple[str, str, str]]:
    """Every registered source's templates for `mention`; none with nothing registered."""
    templates: list[tuple[str, str, str]] = []
    for source in _mention_template_sources:
        templates += source(mention=mention)
    return templates
