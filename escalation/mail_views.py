"""Inbound-mail webhooks: a reply to a notification, posted by Mailgun or Postmark, becomes the answer.

Public routes with their own credential (`escalation.mail_inbound`): Mailgun's signed timestamp and
token, Postmark's Basic credentials. A bad or stale credential is answered 403 and nothing is kept:
an unauthenticated body is not ours to keep. An authenticated message is always kept
(`services.mail_answer_receive`); a refused one is answered with a 4xx JSON message saying why, in
the status each provider reads as "do not retry" (Mailgun 406, Postmark 403).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crisisdesk.parsers import JsonDocumentInvalid, json_loads_bounded
from crisisdesk.roles import public
from escalation import mail_inbound, services

MAILGUN_REFUSED = 406
POSTMARK_REFUSED = 403


def _answered(outcome: services.MailOutcome, *, refused_status: int) -> JsonResponse:
    """The provider's answer: 200 for a recorded answer or a message already seen, 4xx for a refusal."""
    if outcome.status == "refused":
        body: dict[str, Any] = {"error": outcome.message, "reason": outcome.reason, "inbound": outcome.inbound_id}
        return JsonResponse(body, status=refused_status)
    if outcome.status == "duplicate":
        return JsonResponse({"duplicate": True, "inbound": outcome.inbound_id})
    return JsonResponse(
        {"answered": True, "request": outcome.request_id, "answer": outcome.answer_id, "inbound": outcome.inbound_id}
    )


@public
@csrf_exempt
@require_POST
def mailgun_inbound(request: HttpRequest) -> HttpResponse:
    """Mailgun's route `forward()` URL: parsed fields (or raw MIME in `body-mime`), signed."""
    fields = {key: request.POST.get(key, "") for key in request.POST}
    if not mail_inbound.mailgun_signature_valid(
        timestamp=fields.get("timestamp", ""), token=fields.get("token", ""), signature=fields.get("signature", "")
    ):
        return JsonResponse({"error": "Missing, invalid or stale Mailgun signature."}, status=403)
    outcome = services.mail_answer_receive(message=mail_inbound.from_mailgun(fields))
    return _answered(outcome, refused_status=MAILGUN_REFUSED)


@public
@csrf_exempt
@require_POST
def postmark_inbound(request: HttpRequest) -> HttpResponse:
    """Postmark's inbound webhook URL, with our Basic credentials in it."""
    if not mail_inbound.postmark_credentials_valid(request.headers.get("Authorization", "")):
        return JsonResponse({"error": "Missing or invalid credentials."}, status=403)
    try:
        data = json_loads_bounded(request.body)
    except JsonDocumentInvalid as error:
        return JsonResponse({"error": f"Invalid JSON: {error}"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": "Expected Postmark's inbound JSON object."}, status=400)
    outcome = services.mail_answer_receive(message=mail_inbound.from_postmark(data))
    return _answered(outcome, refused_status=POSTMARK_REFUSED)
