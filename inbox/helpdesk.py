"""The helpdesk a case is handed off to: Zendesk's or Zammad's ticket API, or the helpdesk's mailbox.

An adapter like the connectors: it turns a case into the helpdesk's own request and its answer into a
ticket id, and says whether a refusal is worth retrying (`HelpdeskError.transient`). Configured only from
the environment (`settings.HELPDESK`, crisisdesk/settings_parts.py): the token is never stored in the
database. The case number is the ticket's `external_id` (Zendesk) or leads its title (Zammad); a retry after
an attempt whose answer was lost looks the ticket up by it first, so a case makes one ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from crisisdesk.outbound import http_client
from crisisdesk.parsers import json_loads_bounded

TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
ZAMMAD_PRIORITIES = {"low": "1 low", "normal": "2 normal", "high": "3 high", "urgent": "3 high"}


class HelpdeskError(Exception):
    """The helpdesk refused or could not be reached; `transient` says whether trying again may work."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class HelpdeskConfig:
    kind: str = ""
    url: str = ""
    email: str = ""
    token: str = ""
    group: str = ""
    customer: str = ""
    address: str = ""
    case_field_id: str = ""

    @property
    def configured(self) -> bool:
        return self.kind in ("zendesk", "zammad") and bool(self.url) or self.kind == "email" and bool(self.address)


def helpdesk_config() -> HelpdeskConfig:
    values = getattr(settings, "HELPDESK", {}) or {}
    return HelpdeskConfig(**{key: str(values.get(key) or "") for key in HelpdeskConfig.__dataclass_fields__})


@dataclass(frozen=True)
class CaseTicket:
    """What the helpdesk is told about a case; `body` is the plain-text first comment (the mentions quoted)."""

    number: str
    subject: str
    body: str
    requester_name: str
    priority: str
    case_type: str
    tags: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"[{self.number}] {self.subject}"[:250]


@dataclass(frozen=True)
class TicketCreated:
    ticket_id: str
    number: str = ""


def ticket_create(
    ticket: CaseTicket, *, config: HelpdeskConfig, http: httpx.Client | None = None, look_up_first: bool = False
) -> TicketCreated:
    """Create the case's ticket; with `look_up_first` (an earlier attempt's answer was lost) find it first."""
    if config.kind == "email":
        return _mail(ticket, config=config)
    client = http or http_client(timeout=TIMEOUT)
    if config.kind == "zendesk":
        return _zendesk(ticket, config=config, http=client, look_up_first=look_up_first)
    if config.kind == "zammad":
        return _zammad(ticket, config=config, http=client, look_up_first=look_up_first)
    raise HelpdeskError(_("No helpdesk is configured (HELPDESK_KIND)."), transient=False)


def zendesk_body(ticket: CaseTicket, *, config: HelpdeskConfig) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": ticket.title,
        "comment": {"body": ticket.body},
        "requester": {"name": ticket.requester_name[:250]},
        "priority": ticket.priority,
        "external_id": ticket.number,
        "tags": ticket.tags,
    }
    if config.case_field_id.isdigit():
        body["custom_fields"] = [{"id": int(config.case_field_id), "value": ticket.number}]
    return {"ticket": body}


def zammad_body(ticket: CaseTicket, *, config: HelpdeskConfig) -> dict[str, Any]:
    return {
        "title": ticket.title,
        "group": config.group or "Users",
        "customer": config.customer,
        "priority": ZAMMAD_PRIORITIES.get(ticket.priority, "2 normal"),
        "article": {"subject": ticket.title, "body": ticket.body, "type": "note", "internal": False},
    }


def _zendesk(ticket: CaseTicket, *, config: HelpdeskConfig, http: httpx.Client, look_up_first: bool) -> TicketCreated:
    auth = httpx.BasicAuth(f"{config.email}/token", config.token)
    if look_up_first:
        found = _json(
            _call(http, "GET", f"{config.url}/api/v2/tickets.json", auth=auth, params={"external_id": ticket.number})
        )
        tickets = found.get("tickets") if isinstance(found, dict) else None
        if isinstance(tickets, list) and tickets and isinstance(tickets[0], dict) and tickets[0].get("id"):
            return TicketCreated(ticket_id=str(tickets[0]["id"]), number=str(tickets[0]["id"]))
    body = _json(
        _call(http, "POST", f"{config.url}/api/v2/tickets.json", auth=auth, json=zendesk_body(ticket, config=config))
    )
    created = body.get("ticket") if isinstance(body, dict) else None
    if not isinstance(created, dict) or not created.get("id"):
        raise HelpdeskError(_("The helpdesk did not return the new ticket's id."), transient=True)
    return TicketCreated(ticket_id=str(created["id"]), number=str(created["id"]))


def _zammad(ticket: CaseTicket, *, config: HelpdeskConfig, http: httpx.Client, look_up_first: bool) -> TicketCreated:
    headers = {"Authorization": f"Token token={config.token}"}
    if look_up_first:
        found = _json(
            _call(
                http,
                "GET",
                f"{config.url}/api/v1/tickets/search",
                headers=headers,
                params={"query": f'title:"[{ticket.number}]"', "limit": 1, "expand": "true"},
            )
        )
        if isinstance(found, list) and found and isinstance(found[0], dict) and found[0].get("id"):
            return TicketCreated(ticket_id=str(found[0]["id"]), number=str(found[0].get("number") or ""))
    body = _json(
        _call(http, "POST", f"{config.url}/api/v1/tickets", headers=headers, json=zammad_body(ticket, config=config))
    )
    if not isinstance(body, dict) or not body.get("id"):
        raise HelpdeskError(_("The helpdesk did not return the new ticket's id."), transient=True)
    return TicketCreated(ticket_id=str(body["id"]), number=str(body.get("number") or ""))


def _call(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = http.request(method, url, follow_redirects=False, **kwargs)
    except httpx.HTTPError as error:
        raise HelpdeskError(_("Could not reach the helpdesk: %(error)s") % {"error": error}, transient=True) from error
    if response.status_code >= 300:
        transient = response.status_code >= 500 or response.status_code in TRANSIENT_STATUSES
        raise HelpdeskError(
            _("The helpdesk answered HTTP %(status)s: %(body)s")
            % {"status": response.status_code, "body": response.text[:300]},
            transient=transient,
        )
    return response


def _json(response: httpx.Response) -> Any:
    try:
        return json_loads_bounded(response.content)
    except ValueError as error:
        raise HelpdeskError(_("The helpdesk answered with invalid JSON."), transient=True) from error


def _mail(ticket: CaseTicket, *, config: HelpdeskConfig) -> TicketCreated:
    """The fallback: one e-mail to the helpdesk's mailbox, its Message-ID kept as the delivery's id."""
    message_id = make_msgid(idstring=ticket.number.lower(), domain="crisisdesk.local")
    message = EmailMessage(
        subject=ticket.title, body=ticket.body, to=[config.address], headers={"Message-ID": message_id}
    )
    try:
        message.send(fail_silently=False)
    except OSError as error:
        raise HelpdeskError(
            _("Could not send the case to %(address)s: %(error)s") % {"address": config.address, "error": error},
            transient=True,
        ) from error
    return TicketCreated(ticket_id="", number=message_id)
