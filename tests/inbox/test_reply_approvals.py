"""Reply approvals: while a crisis of level 2 or more is declared, a new starter's reply, or one with a risky
phrase, waits for a second person; it is approved (and sent once, signed by its author), corrected and
approved, rejected with a comment, withdrawn, or — nobody deciding in time — expires without being sent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crisisdesk.models import AuditEvent
from crisisdesk.realtime import group_for_role, group_for_user
from inbox import services, tasks
from inbox.approval_models import ApprovalDecision, ReplyApproval, ReplyApprovalRule
from inbox.credentials import credentials_encrypt
from inbox.models import MentionStatus, Reply, ReplyState
from inbox.services.approval_gate import approval_groups
from playbooks.models import Crisis
from tests.factories import ChannelFactory, MentionFactory, UserFactory
from tests.inbox.fake_platform import Reply as PlatformReply
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db

RISKY = "no es para tanto\nre:reembols\\w*"


def declare(*, level: int, status: str = "declared", **extra) -> Crisis:
    return Crisis.objects.create(
        title="Caída de red", brand="Telco", crisis_type="technical", level=level, status=status,
        declared_at=timezone.now(), **extra,
    )


def rule(*, new_starters=(), approvers=(), **fields) -> ReplyApprovalRule:
    saved, _created = ReplyApprovalRule.objects.update_or_create(pk=1, defaults={"risky_patterns": RISKY, **fields})
    saved.new_starters.set(new_starters)
    saved.approvers.set(approvers)
    return saved


@pytest.fixture(autouse=True)
def undo_window(settings):
    settings.REPLY_UNDO_SECONDS = 10


@pytest.fixture
def mention(fake_platform):
    channel = ChannelFactory(
        kind="facebook", base_url=fake_platform.url, signature_template="— {name}",
        credentials_encrypted=credentials_encrypt({"access_token": "t"}),
    )
    fake_platform.script("POST", "/c_1/comments", PlatformReply(json={"id": "c_99"}))
    return MentionFactory(channel=channel, external_id="c_1", text="¿Cuándo vuelve la fibra?")


@pytest.fixture
def other_director(db):
    return UserFactory(role="director", username="olga", first_name="Olga")


def posted(fake_platform) -> list:
    return fake_platform.received("POST", "/c_1/comments")


def held(mention, author, body="Lo estamos mirando.") -> Reply:
    reply = services.reply_queue(mention_id=mention.pk, author=author, body=body)
    assert reply.state == ReplyState.PENDING_APPROVAL
    return reply


# --- when a reply waits -----------------------------------------------------------------------------


def test_a_level_one_crisis_holds_nothing(mention, community_manager, fake_platform):
    declare(level=1)
    rule(new_starters=[community_manager])

    reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body="No es para tanto.")

    assert reply.state == ReplyState.QUEUED and reply.send_after is not None
    assert not ReplyApproval.objects.exists()


def test_at_level_two_a_new_starters_reply_waits_and_nothing_sends_it(
    mention, community_manager, fake_platform, django_capture_on_commit_callbacks
):
    declare(level=2)
    rule(new_starters=[community_manager])

    with django_capture_on_commit_callbacks(execute=True):
        reply = held(mention, community_manager)

    approval = reply.approval
    assert approval.reasons == [{"code": "new_starter", "detail": ""}]
    assert approval.crisis_level == 2 and approval.approver_roles == ["director", "admin"]
    assert timedelta(minutes=14) < approval.expires_at - timezone.now() <= timedelta(minutes=15)
    mention.refresh_from_db()
    assert mention.assignee == community_manager
    assert mention.first_response_at is None and mention.status != MentionStatus.REPLIED  # still unanswered
    # Neither the task nor the sweep sends a reply that waits
    services.reply_send(reply_id=reply.pk)
    services.replies_send_due(grace=timedelta(0))
    assert Reply.objects.get(pk=reply.pk).state == ReplyState.PENDING_APPROVAL
    assert posted(fake_platform) == []
    assert AuditEvent.objects.filter(verb="reply.approval_requested", target_id=str(reply.pk)).count() == 1


def test_a_risky_phrase_holds_anyones_reply_without_case_or_accents_and_a_pattern_too(mention, other_community_manager):
    declare(level=3)
    rule()

    reply = held(mention, other_community_manager, body="Tranquila, NO ES PARA TANTO.")
    again = held(mention, other_community_manager, body="Pide el reembolso en la web.")

    assert reply.approval.reasons == [{"code": "risky_phrase", "detail": "no es para tanto"}]
    assert again.approval.reasons == [{"code": "risky_phrase", "detail": "re:reembols\\w*"}]
    assert "it contains a risky phrase (“no es para tanto”)" in reply.approval.reason_labels[0]
    ordinary = services.reply_queue(mention_id=mention.pk, author=other_community_manager, body="Lo miramos ya.")
    assert ordinary.state == ReplyState.QUEUED


def test_a_crisis_the_mention_belongs_to_counts_even_without_the_banner(mention, community_manager):
    crisis = declare(level=2, status="contained")  # contained: no banner, still the mention's crisis
    crisis.mentions.add(mention)
    rule(new_starters=[community_manager])

    assert held(mention, community_manager).approval.crisis_id == crisis.pk


# --- deciding ------------------------------------------------------------------------------------------


def test_approval_sends_it_once_signed_by_its_author(
    mention, community_manager, director, fake_platform, django_capture_on_commit_callbacks
):
    declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)

    with django_capture_on_commit_callbacks(execute=True):
        approved = services.reply_approve(reply_id=reply.pk, actor=director)

    approved.refresh_from_db()
    assert approved.state == ReplyState.SENT
    requests = posted(fake_platform)
    assert len(requests) == 1
    assert requests[0].form()["message"] == ["Lo estamos mirando.\n— Ana"]  # Ana signs, not Elena
    # Whatever runs again afterwards, nothing is sent twice
    services.reply_send(reply_id=reply.pk)
    services.replies_send_due(grace=timedelta(0))
    with pytest.raises(services.ApprovalAlreadyDecided, match="Already decided by Elena: Approved"):
        services.reply_approve(reply_id=reply.pk, actor=director)
    assert len(posted(fake_platform)) == 1
    mention.refresh_from_db()
    assert mention.status == MentionStatus.REPLIED and mention.first_response_at is not None
    assert AuditEvent.objects.filter(verb="reply.approval_approved", actor=director).count() == 1


def test_an_approver_may_correct_the_reply_before_approving_it(
    mention, community_manager, director, fake_platform, django_capture_on_commit_callbacks
):
    declare(level=2)
    rule()
    reply = held(mention, community_manager, body="No es para tanto, vuelve pronto.")

    with django_capture_on_commit_callbacks(execute=True):
        services.reply_approve(reply_id=reply.pk, actor=director, body="Sentimos las molestias: vuelve pronto.")

    approval = ReplyApproval.objects.get(reply=reply)
    assert approval.decision == ApprovalDecision.EDITED
    assert approval.original_body == "No es para tanto, vuelve pronto."
    assert posted(fake_platform)[0].form()["message"] == ["Sentimos las molestias: vuelve pronto.\n— Ana"]


def test_rejection_goes_back_to_the_author_with_the_comment_and_the_mention_stays_unanswered(
    mention, community_manager, director, fake_platform
):
    declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)

    with pytest.raises(services.InboxError, match="Say why"):
        services.reply_reject(reply_id=reply.pk, actor=director, comment="  ")
    rejected = services.reply_reject(reply_id=reply.pk, actor=director, comment="Da el plazo de las 18:00.")

    assert rejected.state == ReplyState.REJECTED
    approval = ReplyApproval.objects.get(reply=reply)
    assert (approval.decision, approval.decided_by) == ("rejected", director)
    assert approval.comment == "Da el plazo de las 18:00."
    mention.refresh_from_db()
    assert mention.first_response_at is None and mention.status != MentionStatus.REPLIED
    with pytest.raises(services.ApprovalAlreadyDecided, match="Already decided by Elena: Rejected"):
        services.reply_approve(reply_id=reply.pk, actor=director)
    assert posted(fake_platform) == []


def test_four_eyes_the_author_never_approves_their_own_reply(
    mention, community_manager, other_community_manager, department_head
):
    declare(level=2)
    rule(approver_roles=["community_manager"])  # even where community managers approve
    reply = held(mention, community_manager, body="No es para tanto.")

    with pytest.raises(services.InboxError, match="Four eyes"):
        services.reply_approve(reply_id=reply.pk, actor=community_manager)
    with pytest.raises(services.InboxError, match="Four eyes"):
        services.reply_reject(reply_id=reply.pk, actor=community_manager, comment="ok")
    with pytest.raises(services.InboxError, match="not among the approvers"):
        services.reply_approve(reply_id=reply.pk, actor=department_head)
    assert services.reply_approve(reply_id=reply.pk, actor=other_community_manager).state == ReplyState.QUEUED


def test_the_rule_is_copied_onto_a_waiting_reply(mention, community_manager, director, other_director):
    declare(level=2, owner=other_director)
    rule(approver_roles=["admin"])
    reply = held(mention, community_manager, body="No es para tanto.")

    rule(approver_roles=["director"])  # changed afterwards: Elena is still not this reply's approver

    with pytest.raises(services.InboxError, match="not among the approvers"):
        services.reply_approve(reply_id=reply.pk, actor=director)
    # Olga owns the crisis (its lead): she approves
    assert services.reply_approve(reply_id=reply.pk, actor=other_director).state == ReplyState.QUEUED


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_exactly_one_wins(mention, community_manager, director, other_director, fake_platform):
    declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(approver, action) -> None:
        start.wait()
        try:
            action(approver)
            outcomes[approver.username] = "won"
        except services.ApprovalAlreadyDecided as error:
            outcomes[approver.username] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=decide, args=(director, lambda who: services.reply_approve(reply_id=reply.pk, actor=who))
        ),
        threading.Thread(
            target=decide,
            args=(other_director, lambda who: services.reply_reject(reply_id=reply.pk, actor=who, comment="No.")),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcome == "won" for outcome in outcomes.values()) == [False, True]
    loser = next(outcome for outcome in outcomes.values() if outcome != "won")
    assert loser.startswith("Already decided by")
    approval = ReplyApproval.objects.get(reply=reply)
    assert AuditEvent.objects.filter(verb__in=["reply.approval_approved", "reply.approval_rejected"]).count() == 1
    assert len(posted(fake_platform)) == (1 if approval.decision == ApprovalDecision.APPROVED else 0)


# --- conflicts ----------------------------------------------------------------------------------------


def test_a_mention_answered_meanwhile_is_a_conflict_the_approver_confirms(
    mention, community_manager, other_community_manager, director
):
    declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)
    services.reply_queue(mention_id=mention.pk, author=other_community_manager, body="Ya está.", take_over=True)

    with pytest.raises(services.ApprovalConflict) as conflict:
        services.reply_approve(reply_id=reply.pk, actor=director)

    assert conflict.value.conflicts == ["Luis answered this mention meanwhile."]
    assert Reply.objects.get(pk=reply.pk).state == ReplyState.PENDING_APPROVAL  # refused: nothing changed
    assert services.reply_approve(reply_id=reply.pk, actor=director, confirm=True).state == ReplyState.QUEUED
    event = AuditEvent.objects.get(verb="reply.approval_approved")
    assert event.data["conflicts_confirmed"] == ["Luis answered this mention meanwhile."]


def test_a_mention_hidden_meanwhile_is_a_conflict(mention, community_manager, director):
    declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)
    services.mention_hide(mention_id=mention.pk, actor=community_manager, reason="Spam")

    with pytest.raises(services.ApprovalConflict, match="hidden meanwhile"):
        services.reply_approve(reply_id=reply.pk, actor=director)


def test_the_author_withdraws_a_waiting_reply(mention, community_manager, director):
    declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)

    assert services.reply_cancel(reply_id=reply.pk, actor=community_manager).state == ReplyState.CANCELLED

    assert ReplyApproval.objects.get(reply=reply).decision == ApprovalDecision.WITHDRAWN
    with pytest.raises(services.ApprovalAlreadyDecided, match="Withdrawn by its author"):
        services.reply_approve(reply_id=reply.pk, actor=director)


def test_a_reply_keeps_waiting_when_its_crisis_closes_and_the_queue_says_so(
    mention, community_manager, director, client
):
    crisis = declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)

    Crisis.objects.filter(pk=crisis.pk).update(status="resolved")

    client.force_login(director)
    page = client.get(reverse("inbox:approvals"))
    assert page.status_code == 200
    assert "That crisis is no longer open" in page.content.decode()
    assert Reply.objects.get(pk=reply.pk).state == ReplyState.PENDING_APPROVAL


# --- the time limit --------------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_nobody_deciding_in_time_expires_it_once_and_it_is_not_sent(
    mention, community_manager, director, fake_platform
):
    declare(level=2)
    rule(new_starters=[community_manager])
    reply = held(mention, community_manager)
    ReplyApproval.objects.filter(reply=reply).update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(services.ApprovalAlreadyDecided, match="time limit"):
        services.reply_approve(reply_id=reply.pk, actor=director)
    with GroupListener(group_for_user(community_manager.pk)) as author:
        assert services.reply_approvals_expire() == 1
        tasks.reply_approvals_expire.delay()  # the beat again: nothing twice
        assert services.reply_approvals_expire() == 0
        told = author.receive()["event"]

    assert (told["type"], told["change"], told["author_id"]) == ("reply.approval", "expired", community_manager.pk)
    # the same event goes to the approvers' role groups
    assert group_for_role("director") in approval_groups(ReplyApproval.objects.get(reply=reply), author_id=0)
    assert Reply.objects.get(pk=reply.pk).state == ReplyState.APPROVAL_EXPIRED
    assert ReplyApproval.objects.get(reply=reply).decision == ApprovalDecision.EXPIRED
    assert AuditEvent.objects.filter(verb="reply.approval_expired").count() == 1
    services.replies_send_due(grace=timedelta(0))
    assert posted(fake_platform) == []


def test_the_beat_runs_the_expiry(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["notify.reply_approvals_expire"] <= 30


# --- pages and API -------------------------------------------------------------------------------------


def test_a_department_head_cannot_see_the_queue_nor_a_plain_community_manager(
    client, department_head, other_community_manager
):
    for person in (department_head, other_community_manager):
        client.force_login(person)
        assert client.get(reverse("inbox:approvals")).status_code == 403
        api = APIClient()
        api.force_authenticate(person)
        assert api.get("/api/reply-approvals/").status_code == 403
    client.force_login(department_head)
    assert client.get(reverse("inbox:approval_rule")).status_code == 403


def test_a_bad_pattern_is_a_form_error_and_nothing_is_saved(client, director):
    client.force_login(director)
    form = {"enabled": "on", "minimum_crisis_level": "2", "approver_roles": ["director"], "time_limit_minutes": "15"}

    broken = client.post(reverse("inbox:approval_rule"), {**form, "risky_patterns": "culpa tuya\nre:(reembolso"})
    exploding = client.post(reverse("inbox:approval_rule"), {**form, "risky_patterns": "re:(a+)+$"})

    assert broken.status_code == 400 and exploding.status_code == 400
    assert "“re:(reembolso” is not a valid pattern" in broken.content.decode()
    assert "takes too long to match" in exploding.content.decode()
    assert not ReplyApprovalRule.objects.exists()
    saved = client.post(reverse("inbox:approval_rule"), {**form, "risky_patterns": "culpa tuya\nre:reembols\\w*"})
    assert saved.status_code == 302
    assert ReplyApprovalRule.objects.get().risky_patterns == "culpa tuya\nre:reembols\\w*"
    assert AuditEvent.objects.filter(verb="reply_approval_rule.update", actor=director).count() == 1


def test_the_author_sees_why_it_waits_and_the_approver_decides_from_the_page(
    client, mention, community_manager, director
):
    declare(level=2)
    rule(new_starters=[community_manager])
    client.force_login(community_manager)
    sent = client.post(reverse("inbox:reply", args=[mention.pk]), {"body": "Lo estamos mirando."}, follow=True)
    assert "Waiting for approval — its author&#x27;s replies need approval" in sent.content.decode()
    reply = Reply.objects.get(mention=mention)
    assert 'data-testid="reply-withdraw"' in sent.content.decode()

    client.force_login(director)
    queue = client.get(reverse("inbox:approvals"))
    assert f'data-reply-id="{reply.pk}"' in queue.content.decode()
    done = client.post(reverse("inbox:reply_approve", args=[reply.pk]), {"body": "Lo estamos mirando."})
    assert done.status_code == 302
    again = client.post(reverse("inbox:reply_approve", args=[reply.pk]), {})
    assert again.status_code == 409 and "Already decided by Elena" in again.content.decode()


def test_the_api_approves_rejects_and_reports_conflicts(mention, community_manager, director, other_community_manager):
    declare(level=2)
    rule(new_starters=[community_manager])
    author = APIClient()
    author.force_authenticate(community_manager)
    created = author.post(f"/api/mentions/{mention.pk}/reply/", {"body": "Lo miramos."}, format="json")
    assert created.status_code == 201 and created.json()["state"] == "pending_approval"
    assert created.json()["approval"]["reasons"] == [{"code": "new_starter", "detail": ""}]
    reply_id = created.json()["id"]
    assert author.post(f"/api/replies/{reply_id}/approve/", {}, format="json").status_code == 400  # four eyes

    approver = APIClient()
    approver.force_authenticate(director)
    assert [item["id"] for item in approver.get("/api/reply-approvals/").json()] == [reply_id]
    assert approver.post(f"/api/replies/{reply_id}/reject/", {"comment": ""}, format="json").status_code == 400
    services.reply_queue(mention_id=mention.pk, author=other_community_manager, body="Hecho.", take_over=True)
    conflict = approver.post(f"/api/replies/{reply_id}/approve/", {}, format="json")
    assert conflict.status_code == 409 and conflict.json()["conflicts"] == ["Luis answered this mention meanwhile."]
    confirmed = approver.post(f"/api/replies/{reply_id}/approve/", {"confirm": True}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["approval"]["decision"] == "approved"
    assert approver.post(f"/api/replies/{reply_id}/approve/", {"confirm": True}, format="json").status_code == 409
