"""A department head answers by replying to the notification e-mail: from a member it lands, from anyone else not.

The replies arrive as Mailgun's route POST and Postmark's inbound JSON; both are checked before
anything is kept, and every checked message is kept, answered or refused (`InboundMail`).
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.core import mail
from django.test import Client

from crisisdesk.models import AuditEvent
from escalation import events, services
from escalation.mail_text import reply_text
from escalation.models import Answer, EscalationEvent, EventKind, InboundMail, RequestStatus
from escalation.services.mail_addresses import reply_tag
from tests.escalation.mail_helpers import QUOTED_SPANISH, mailgun_fields, sent_email

pytestmark = pytest.mark.django_db

MAILGUN_URL = "/escalation/mail/mailgun/"
POSTMARK_URL = "/escalation/mail/postmark/"


def _post_mailgun(fields: dict[str, str]):
    return Client().post(MAILGUN_URL, fields)


def _reply_to() -> str:
    message, _notification = sent_email()
    return message.reply_to[0]


def test_the_notification_carries_a_reply_address_and_a_message_id_the_desk_keeps(notified_request):
    # Given the engineer on duty's notification e-mail
    message, notification = sent_email()
    # Then replying to it names the request without the request's number being enough to forge it
    local_part, _at, domain = message.reply_to[0].partition("@")
    assert domain == "reply.telco.example" and local_part.startswith("answers+")
    assert len(local_part) <= 64 and local_part.split("+")[1].startswith(f"{notified_request.pk}-")
    # and its Message-ID is stored on the notification row, so In-Reply-To names the request too
    assert notification.request_id == notified_request.pk and notification.message_id.startswith("<escalation.")
    # and both bodies tell the reader a reply is an answer, with the question in context
    html = message.alternatives[0][0]
    assert "replying to this e-mail" in message.body and "replying to this e-mail" in html
    assert "¿Cuándo vuelve la fibra en Vallecas?" in message.body and "Vallecas" in html


def test_without_a_reply_address_the_email_has_no_reply_to(settings, people, department, chain_policy):
    # Given a deployment that reads no replies (the embedded default)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ESCALATION_REPLY_ADDRESS = ""
    settings.ESCALATION_IMAP_URL = ""
    services.escalation_step_notify(
        request_id=services.escalation_request_create(raised_by=people["cm"], department=department, question="¿?").pk,
        step_index=0,
        attempt=0,
    )
    # Then the notification has no Reply-To and does not invite a reply
    assert mail.outbox[-1].reply_to == []
    assert "replying to this e-mail" not in mail.outbox[-1].body


def test_the_heads_reply_lands_as_the_answer_without_the_quoted_question(notified_request, people, monkeypatch):
    published: list[tuple[list[str], str]] = []
    monkeypatch.setattr(
        events, "publish_on_commit", lambda groups, payload: published.append((groups, payload["type"]))
    )
    # Given Marta, head of Técnica, replies from her mail client (her address in capitals), quoting the question
    fields = mailgun_fields(
        sender="Marta García <MARTA@telco.example>",
        recipient=_reply_to(),
        text="Vuelve a las 14:00; el técnico ya está en la central.\n\n-- \nMarta García\nJefa de Técnica"
        + QUOTED_SPANISH,
    )
    # When Mailgun posts it
    response = _post_mailgun(fields)
    # Then it is the request's answer, without the quote or her signature
    assert response.status_code == 200, response.content
    assert response.json()["answered"] is True
    answer = Answer.objects.get(request=notified_request)
    assert answer.author == people["head"]
    assert answer.text == "Vuelve a las 14:00; el técnico ya está en la central."
    # and the chain stops, the timeline and the audit say it came by e-mail, the CM hears it live
    notified_request.refresh_from_db()
    assert notified_request.status == RequestStatus.ANSWERED and notified_request.next_action_at is None
    assert EscalationEvent.objects.get(request=notified_request, kind=EventKind.ANSWERED).data["via"] == "email"
    assert AuditEvent.objects.get(verb="escalation.answer").data["via"] == "email"
    assert any(kind == "escalation.answered" and "role.community_manager" in groups for groups, kind in published)
    assert InboundMail.objects.get().answer == answer
    desk = Client()
    desk.force_login(people["cm"])
    assert "by e-mail" in desk.get(f"/escalation/{notified_request.pk}/").content.decode()


def test_a_reply_from_another_departments_head_is_refused_and_nothing_is_recorded(
    notified_request, other_department_head
):
    # Given Pilar, head of Jurídico, replies to Técnica's question
    fields = mailgun_fields(
        sender="Pilar <pilar@telco.example>", recipient=_reply_to(), text="Ni idea." + QUOTED_SPANISH
    )
    # When Mailgun posts it
    response = _post_mailgun(fields)
    # Then Mailgun is told, with a status it does not retry, why it was refused
    assert response.status_code == 406
    assert response.json()["reason"] == "not_member"
    assert "Only the department may answer" in response.json()["error"]
    # and no answer is recorded, the request still waits, and the message is kept with the reason
    assert not Answer.objects.exists()
    notified_request.refresh_from_db()
    assert notified_request.status == RequestStatus.OPEN
    kept = InboundMail.objects.get()
    assert (kept.outcome, kept.reason, kept.request_id) == ("refused", "not_member", notified_request.pk)
    assert "Ni idea." in kept.raw
    assert AuditEvent.objects.filter(verb="escalation.mail_refused").count() == 1


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        # the member's address as the display name of someone else's address
        ('"marta@telco.example" <mallory@evil.example>', "unknown_sender"),
        # a bare address before the real one: parseaddr would read the first, we refuse both
        ("marta@telco.example <mallory@evil.example>", "sender_invalid"),
        ("Marta <marta@telco.example>, mallory@evil.example", "sender_invalid"),
    ],
)
def test_a_forged_from_that_only_looks_like_the_head_is_refused(notified_request, people, sender, reason):
    response = _post_mailgun(mailgun_fields(sender=sender, recipient=_reply_to(), text="Cerrad la incidencia."))
    assert response.status_code == 406
    assert response.json()["reason"] == reason
    assert not Answer.objects.exists()


def test_a_bad_signature_is_refused_and_nothing_is_kept(notified_request):
    fields = mailgun_fields(sender="marta@telco.example", recipient=_reply_to(), text="Vuelve a las 14:00.")
    fields["signature"] = "0" * 64
    response = _post_mailgun(fields)
    assert response.status_code == 403
    assert not InboundMail.objects.exists() and not Answer.objects.exists()


def test_a_correctly_signed_but_stale_post_is_refused(notified_request):
    # Given a POST Mailgun signed ten minutes ago (a replay)
    fields = mailgun_fields(
        sender="marta@telco.example", recipient=_reply_to(), text="Vuelve.", signed_at=int(time.time()) - 600
    )
    response = _post_mailgun(fields)
    assert response.status_code == 403
    assert not InboundMail.objects.exists()


def test_the_same_message_delivered_twice_records_one_answer(notified_request):
    first = mailgun_fields(
        sender="marta@telco.example", recipient=_reply_to(), text="Vuelve a las 14:00.", message_id="<r1@telco.example>"
    )
    again = mailgun_fields(
        sender="marta@telco.example", recipient=_reply_to(), text="Vuelve a las 14:00.", message_id="<r1@telco.example>"
    )
    assert _post_mailgun(first).json()["answered"] is True
    response = _post_mailgun(again)
    assert response.status_code == 200 and response.json()["duplicate"] is True
    assert Answer.objects.count() == 1 and InboundMail.objects.count() == 1


def test_a_reply_by_in_reply_to_alone_through_postmark_lands(notified_request, people, mail_settings):
    # Given Marta replies to the sending address (no reply address), from an HTML-only client
    _message, notification = sent_email()
    payload = {
        "FromFull": {"Email": "marta@telco.example", "Name": "Marta"},
        "To": "crisisdesk@telco.example",
        "Subject": "RE: [Crisis Desk] Técnica",
        "TextBody": "",
        "HtmlBody": '<div>Vuelve a las <b>14:00</b>.</div><div class="gmail_quote">El lun escribió:'
        "<blockquote>¿Cuándo vuelve la fibra?</blockquote></div>",
        "Headers": [
            {"Name": "Message-ID", "Value": "<pm1@telco.example>"},
            {"Name": "In-Reply-To", "Value": notification.message_id},
        ],
    }
    password = mail_settings.POSTMARK_INBOUND_PASSWORD
    credentials = base64.b64encode(f"postmark:{password}".encode()).decode()
    # When Postmark posts it with our credentials
    response = Client().post(
        POSTMARK_URL, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    # Then the message it replied to names the request, and the answer is its own words
    assert response.status_code == 200, response.content
    assert Answer.objects.get(request=notified_request).text == "Vuelve a las 14:00."
    # And without the credentials nothing is kept
    wrong = base64.b64encode(b"postmark:guess").decode()
    refused = Client().post(
        POSTMARK_URL, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {wrong}"
    )
    assert refused.status_code == 403 and InboundMail.objects.count() == 1


def test_replies_that_cannot_be_an_answer_say_why(notified_request, people):
    # A closed request
    tag = _reply_to().split("+")[1].split("@")[0]
    notified_request.status = RequestStatus.CLOSED
    notified_request.save(update_fields=["status"])
    closed = _post_mailgun(mailgun_fields(sender="marta@telco.example", recipient=_reply_to(), text="Tarde."))
    assert (closed.status_code, closed.json()["reason"]) == (406, "closed")
    notified_request.status = RequestStatus.OPEN
    notified_request.save(update_fields=["status"])
    # Only the quoted question, nothing above it
    empty = _post_mailgun(mailgun_fields(sender="marta@telco.example", recipient=_reply_to(), text=QUOTED_SPANISH))
    assert empty.json()["reason"] == "empty"
    # A reply address past its age, and one with a changed request number
    old = reply_tag(request_id=notified_request.pk, issued_at=int(time.time()) - 4 * 24 * 3600)
    expired = _post_mailgun(
        mailgun_fields(sender="marta@telco.example", recipient=f"answers+{old}@reply.telco.example", text="Sí.")
    )
    assert expired.json()["reason"] == "expired"
    forged_tag = f"{notified_request.pk + 1}-{tag.split('-', 1)[1]}"
    forged = _post_mailgun(
        mailgun_fields(sender="marta@telco.example", recipient=f"answers+{forged_tag}@reply.telco.example", text="Sí.")
    )
    assert forged.json()["reason"] == "unknown_request"
    # Someone with no account at all
    stranger = _post_mailgun(mailgun_fields(sender="x@elsewhere.example", recipient=_reply_to(), text="Hola."))
    assert stranger.json()["reason"] == "unknown_sender"
    assert not Answer.objects.exists()
    assert set(InboundMail.objects.values_list("reason", flat=True)) == {
        "closed",
        "empty",
        "expired",
        "unknown_request",
        "unknown_sender",
    }


def test_a_deactivated_head_cannot_answer_by_mail(notified_request, people):
    people["head"].is_active = False
    people["head"].save(update_fields=["is_active"])
    response = _post_mailgun(mailgun_fields(sender="marta@telco.example", recipient=_reply_to(), text="Sí."))
    assert response.json()["reason"] == "unknown_sender"


def test_a_reply_whose_domain_fails_dmarc_is_refused(notified_request):
    fields = mailgun_fields(sender="marta@telco.example", recipient=_reply_to(), text="Sí, cerrad.")
    fields["message-headers"] = json.dumps([["Authentication-Results", "mx.example; spf=fail; dmarc=fail"]])
    response = _post_mailgun(fields)
    assert response.json()["reason"] == "not_authenticated"


@pytest.mark.parametrize(
    ("text", "html", "answer"),
    [
        (
            "Back at 2pm.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Crisis Desk <desk@telco.example> wrote:\n> When?\n",
            "",
            "Back at 2pm.",
        ),
        (
            "Mañana a primera hora.\n\nDe: Crisis Desk\nEnviado: lunes, 2 de marzo de 2026 10:00\nPara: Marta\n"
            "Asunto: [Crisis Desk] Técnica\n\n¿Cuándo vuelve la fibra?",
            "",
            "Mañana a primera hora.",
        ),
        ("> ¿Cuándo?\nA las 14:00.\n> ¿Y Vallecas?\nTambién.", "", "A las 14:00.\nTambién."),
        ("", "<p>Ya está&nbsp;resuelto.</p><blockquote type=cite>¿Cuándo?</blockquote>", "Ya está resuelto."),
    ],
)
def test_only_the_new_words_of_a_reply_are_kept(text, html, answer):
    assert reply_text(text=text, html=html) == answer
