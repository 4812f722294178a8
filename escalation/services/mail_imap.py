"""Polling the answers mailbox over IMAP: each unread message is fed to `mail_answers`, once.

For a deployment without an inbound-mail provider: point `ESCALATION_IMAP_URL`
(`imaps://user:password@host:993/INBOX`; the password may instead be `ESCALATION_IMAP_PASSWORD`)
at the mailbox replies reach. Messages are fetched with `BODY.PEEK[]`, so reading one does not mark
it read; only after the service has kept it (answered, refused or a duplicate) is it flagged
`\\Seen` (a refused one also `$CrisisDeskRefused`, for whoever reads the mailbox). A message the
service fails on (the database away) stays unread and is tried again at the next poll: none is
lost, and the Message-ID keeps a retried one from answering twice.
"""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings

from escalation.mail_inbound import from_mime
from escalation.services.mail_answers import mail_answer_receive

logger = logging.getLogger(__name__)

REFUSED_FLAG = "$CrisisDeskRefused"
IMAP_TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"imap": 143, "imaps": 993}


@dataclass(frozen=True)
class Mailbox:
    """Where the replies are read: server, credentials and folder."""

    host: str
    port: int
    ssl: bool
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"


@dataclass
class PollReport:
    answered: int = 0
    refused: int = 0
    duplicates: int = 0
    failed: int = 0


def mailbox_from_url(url: str, *, password: str = "") -> Mailbox:
    """`imap[s]://user[:password]@host[:port][/folder]` as a Mailbox; raises ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or not parts.username:
        raise ValueError("ESCALATION_IMAP_URL must look like imaps://user:password@host:993/INBOX")
    return Mailbox(
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        ssl=parts.scheme == "imaps",
        user=unquote(parts.username),
        password=unquote(parts.password or "") or password,
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.ssl:
        return imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT_SECONDS)
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT_SECONDS)


def _message_process(client: imaplib.IMAP4, uid: bytes, report: PollReport) -> None:
    """Feed one message to the service and flag it; on any failure leave it unread for the next poll."""
    status, data = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    raw = next((item[1] for item in data or [] if isinstance(item, tuple) and len(item) == 2), None)
    if status != "OK" or not isinstance(raw, bytes):
        report.failed += 1
        logger.warning("IMAP message %s could not be fetched (%s); left unread.", uid, status)
        return
    try:
        outcome = mail_answer_receive(message=from_mime(raw, source="imap"))
    except Exception:  # the message stays unread and is tried again: nothing is lost
        report.failed += 1
        logger.exception("IMAP message %s could not be processed; left unread for the next poll.", uid)
        return
    flags = rf"(\Seen {REFUSED_FLAG})" if outcome.status == "refused" else r"(\Seen)"
    client.uid("STORE", uid.decode(), "+FLAGS", flags)
    if outcome.status == "answered":
        report.answered += 1
    elif outcome.status == "refused":
        report.refused += 1
    else:
        report.duplicates += 1


def mail_answers_poll(*, url: str | None = None, password: str | None = None) -> PollReport:
    """Read the answers mailbox's unread messages once (the configured one by default).

    Safe to run twice, even at once: a message both runs fetch is recorded once (its Message-ID).
    Raises imaplib/socket errors when the server cannot be reached or refuses the login."""
    mailbox = mailbox_from_url(
        url if url is not None else settings.ESCALATION_IMAP_URL,
        password=password if password is not None else settings.ESCALATION_IMAP_PASSWORD,
    )
    report = PollReport()
    client = _connect(mailbox)
    try:
        client.login(mailbox.user, mailbox.password)
        status, _data = client.select(f'"{mailbox.folder}"')
        if status != "OK":
            raise imaplib.IMAP4.error(f"the folder {mailbox.folder!r} cannot be opened")
        status, found = client.uid("SEARCH", "UNSEEN")
        for uid in (found[0] or b"").split() if status == "OK" and found else []:
            _message_process(client, uid, report)
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.debug("IMAP logout failed; the connection is closed anyway.")
    return report
