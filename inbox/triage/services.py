"""Writes for triage: the model tier's refinement of new mentions, and human label corrections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from crisisdesk.audit import audit_record, audit_record_many
from crisisdesk.models import User
from crisisdesk.realtime import INBOX_GROUP, event, publish_on_commit
from inbox import hooks
from inbox.models import Author, Category, LabelCorrection, Mention, Sentiment, SuggestedAction
from inbox.triage import TriageInput, TriageResult, model_tier
from inbox.triage.language import OTHER, SUPPORTED
from inbox.triage.selectors import mentions_recent_repeats

if TYPE_CHECKING:
    from inbox.triage.model import ModelTriage

REFINED_FIELDS = (
    "language",
    "sentiment",
    "sentiment_score",
    "category",
    "priority",
    "suggested_action",
    "suggested_department",
    "triage_reasons",
    "triage_tier",
    "triage_refine",
    "triage_refine_claimed_until",
    "triage_confidence",
)
CORRECTABLE: dict[str, tuple[str, ...]] = {
    "sentiment": tuple(Sentiment.values),
    "category": tuple(Category.values),
    "suggested_action": tuple(SuggestedAction.values),
    "language": (*SUPPORTED, OTHER),
    "priority": tuple(str(value) for value in range(101)),
}


class TriageError(Exception):
    """A correction that cannot be stored; the message says why."""


def _triage_input(mention: Mention, *, repeats: int, in_crisis: bool, now) -> TriageInput:
    author = mention.author
    age = (now - author.account_created_at).days if author.account_created_at else None
    return TriageInput(
        text=mention.text,
        language=mention.language,
        followers=author.followers,
        verified=author.verified,
        account_age_days=age,
        previous_mentions=author.mention_count,
        hidden_as_troll=author.hidden_as_troll_count,
        in_open_crisis=in_crisis,
        recent_repeats=repeats,
    )


def mentions_triage_refine(*, mention_ids: list[int]) -> int:
    """Re-triage mentions with the model tier and the author's full history; returns how many changed.

    Idempotent: a mention already refined is skipped, and fields a person corrected are never
    overwritten. Does nothing when the model tier is unavailable (the fast tier's labels stand).
    Emits one `mention.triaged` event per call after commit.
    """
    tier = model_tier()
    if not mention_ids or not tier.available():
        return 0
    pending = list(
        Mention.objects.filter(pk__in=mention_ids)
        .exclude(triage_tier=tier.name)
        .select_related("author", "channel")
        .order_by("id")
    )
    if not pending:
        return 0
    results = _refine_results(pending=pending, tier=tier)
    with transaction.atomic():
        locked = list(
            Mention.objects.select_for_update(no_key=True).filter(pk__in=results).exclude(triage_tier=tier.name).order_by("id")
        )
        changed = _refined_labels_apply(mentions=locked, results=results, tier_name=tier.name)
        if not changed:
            return 0
        Mention.objects.bulk_update(changed, REFINED_FIELDS)
        audit_record_many(actor=None, verb="mention.triage_refine", targets=changed, data={"tier": tier.name})
        _triaged_publish(changed)
    return len(changed)


def _refine_results(*, pending: list[Mention], tier: ModelTriage) -> dict[int, TriageResult]:
    """The model tier's answer per mention id, with each author's repeats and each brand's open crisis."""
    now = timezone.now()
    repeats = mentions_recent_repeats(mentions=pending)
    reader = hooks.crisis_reader()
    crisis_by_brand = {brand: reader.open_crisis_exists(brand=brand) for brand in {m.channel.brand for m in pending}}
    from inbox.triage.brand_models import brand_model_tier  # why: numpy and the weights load only where it runs

    results: dict[int, TriageResult] = {}
    for brand in crisis_by_brand:
        # Each brand's own active model (a version trained on its corrections), else the shipped one.
        mentions = [m for m in pending if m.channel.brand == brand]
        inputs = [_triage_input(m, repeats=repeats[m.pk], in_crisis=crisis_by_brand[brand], now=now) for m in mentions]
        answers = brand_model_tier(brand, base=tier).triage_batch(inputs)
        results.update(zip((m.pk for m in mentions), answers, strict=True))
    return results


def _refined_labels_apply(
    *, mentions: list[Mention], results: dict[int, TriageResult], tier_name: str
) -> list[Mention]:
    """Set the model tier's labels on each mention it answered for, except the fields a person corrected."""
    corrected: dict[int, set[str]] = {}
    for mention_id, field in LabelCorrection.objects.filter(mention__in=mentions).values_list("mention_id", "field"):
        corrected.setdefault(mention_id, set()).add(field)
    changed = []
    for mention in mentions:
        result = results[mention.pk]
        if result.tier != tier_name:
            continue
        values = {
            "language": result.language,
            "sentiment": result.sentiment,
            "sentiment_score": result.sentiment_score,
            "category": result.category,
            "priority": result.priority,
            "suggested_action": result.suggested_action,
            "suggested_department": result.suggested_department,
            "triage_reasons": result.reasons,
            "triage_tier": result.tier,
            "triage_confidence": result.confidence,
        }
        kept = corrected.get(mention.pk, set())
        if "category" in kept:
            kept = kept | {"triage_confidence"}
        for field, value in values.items():
            if field not in kept:
                setattr(mention, field, value)
        # Out of the refine queue (inbox/triage/backlog.py) in the same write.
        mention.triage_refine, mention.triage_refine_claimed_until = "", None
        changed.append(mention)
    return changed


def _triaged_publish(changed: list[Mention]) -> None:
    """One `mention.triaged` event after commit with the new labels of every refined mention."""
    publish_on_commit(
        [INBOX_GROUP],
        event(
            "mention.triaged",
            mentions=[
                {
                    "id": m.pk,
                    "priority": m.priority,
                    "sentiment": m.sentiment,
                    "category": m.category,
                    "suggested_action": m.suggested_action,
                    "suggested_department": m.suggested_department,
                    "tier": m.triage_tier,
                }
                for m in changed
            ],
        ),
    )


def mention_label_correct(*, mention_id: int, field: str, value: str, actor: User) -> LabelCorrection | None:
    """Store a person's correction, apply it to the mention, and feed the author's troll history.

    Returns None when the value is already the mention's (nothing to correct). Audited and pushed
    live as `mention.changed`. Corrections become training rows in `manage.py triage_train`.
    """
    value = str(value).strip()
    if field not in CORRECTABLE:
        raise TriageError(f"Only these labels can be corrected: {', '.join(CORRECTABLE)}.")
    if value not in CORRECTABLE[field]:
        raise TriageError(f"{value!r} is not a valid {field}.")
    with transaction.atomic():
        try:
            mention = Mention.objects.select_for_update(no_key=True).get(pk=mention_id)
        except Mention.DoesNotExist as error:
            raise TriageError("That mention does not exist.") from error
        old_value = str(getattr(mention, field))
        if old_value == value:
            return None
        correction = LabelCorrection.objects.create(
            mention=mention, field=field, old_value=old_value[:40], new_value=value, corrected_by=actor
        )
        setattr(mention, field, int(value) if field == "priority" else value)
        # A person's category has no model probability behind it.
        confidence = ["triage_confidence"] if field == "category" else []
        if confidence:
            mention.triage_confidence = None
        mention.save(update_fields=[field, *confidence])
        if field == "category":
            _author_troll_history_update(mention=mention, old_value=old_value, new_value=value)
        audit_record(
            actor=actor,
            verb="mention.relabel",
            target=mention,
            data={"field": field, "from": old_value, "to": value},
        )
        publish_on_commit(
            [INBOX_GROUP],
            event(
                "mention.changed",
                id=mention.pk,
                change="relabelled",
                field=field,
                value=value,
                status=mention.status,
                is_hidden=mention.is_hidden,
            ),
        )
    return correction


def _author_troll_history_update(*, mention: Mention, old_value: str, new_value: str) -> None:
    """Marking a mention a troll counts against its author; undoing our own mark gives it back."""
    authors = Author.objects.filter(pk=mention.author_id)
    if new_value == Category.TROLL:
        authors.update(hidden_as_troll_count=F("hidden_as_troll_count") + 1)
    elif (
        old_value == Category.TROLL
        and LabelCorrection.objects.filter(mention=mention, field="category", new_value=Category.TROLL).exists()
    ):
        authors.update(hidden_as_troll_count=Greatest(F("hidden_as_troll_count") - 1, 0))
