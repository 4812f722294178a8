"""Replies read from a real IMAP mailbox: a private Debian dovecot started for the test, fed by APPEND.

Without dovecot installed the test is skipped, except under REQUIRE_SERVICES=1 (CI, which installs
it in .ci/run), where a missing server is a failure like a missing PostgreSQL.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import OperationalError

from crisisdesk.celery import app
from crisisdesk.settings_parts import mail_poll_schedule
from escalation.models import Answer, InboundMail, RequestStatus
from escalation.services import mail_imap
from escalation.services.mail_imap import REFUSED_FLAG, mail_answers_poll
from tests import settings as test_settings
from tests.escalation.mail_helpers import QUOTED_SPANISH, reply_mime, sent_email

pytestmark = pytest.mark.django_db

MAILBOX_USER = "answers"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _users() -> dict[str, str | int]:
    """As root, the package's unprivileged users (dovecot refuses root for its processes); else ourselves."""
    if os.geteuid() == 0:
        internal = pwd.getpwnam("dovecot")
        login = pwd.getpwnam("dovenull").pw_name
    else:
        internal = pwd.getpwuid(os.geteuid())
        login = internal.pw_name
    return {
        "internal_user": internal.pw_name,
        "internal_group": grp.getgrgid(internal.pw_gid).gr_name,
        "login_user": login,
        "mail_uid": internal.pw_uid,
        "mail_gid": internal.pw_gid,
    }


@pytest.fixture
def dovecot() -> Iterator[str]:
    """A private dovecot on a free port with one mailbox; yields its imap:// URL, stopped afterwards."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        message = "dovecot is not installed (apt-get install dovecot-imapd)"
        if test_settings.REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {message}")
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="crisisdesk-dovecot-"))
    root.chmod(0o755)
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir()
    (root / "mail").chmod(0o777)
    password = secrets.token_hex(8)
    (root / "passwd").write_text(f"{MAILBOX_USER}:{{PLAIN}}{password}::::::\n")
    (root / "passwd").chmod(0o644)
    port = _free_port()
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port, **_users()))
    server = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")], stderr=subprocess.PIPE)
    try:
        _wait_for(port, server, root)
        yield f"imap://{MAILBOX_USER}:{password}@127.0.0.1:{port}/INBOX"
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, server: subprocess.Popen, root: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot stopped: {server.stderr.read().decode() if server.stderr else ''} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                if connection.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("dovecot did not open its IMAP port within 10 s")


def _mailbox(url: str) -> imaplib.IMAP4:
    box = mail_imap.mailbox_from_url(url)
    client = imaplib.IMAP4(box.host, box.port)
    client.login(box.user, box.password)
    client.select("INBOX")
    return client


def _deliver(url: str, *messages: bytes) -> None:
    client = _mailbox(url)
    for message in messages:
        client.append("INBOX", None, None, message)
    client.logout()


def _flags(url: str) -> dict[str, set[str]]:
    """Each message's flags, by its Message-ID."""
    client = _mailbox(url)
    _status, found = client.uid("SEARCH", "ALL")
    flags = {}
    for uid in found[0].split():
        _status, data = client.uid("FETCH", uid.decode(), "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        header = next(item[1] for item in data if isinstance(item, tuple)).decode().split(":", 1)[1].strip()
        names = imaplib.ParseFlags(next(item[0] for item in data if isinstance(item, tuple)))
        flags[header] = {name.decode() for name in names}
    client.logout()
    return flags


def test_the_poll_records_the_heads_reply_and_flags_a_strangers_as_refused(dovecot, notified_request, people):
    # Given the answers mailbox holds the head's reply (to the notification's Message-ID) and a colleague's
    message, notification = sent_email()
    reply_to = message.reply_to[0]
    _deliver(
        dovecot,
        reply_mime(
            sender="Marta <marta@telco.example>",
            to=reply_to,
            text="Vuelve a las 14:00." + QUOTED_SPANISH,
            message_id="<head@telco.example>",
            in_reply_to=notification.message_id,
        ),
        reply_mime(sender="ana@telco.example", to=reply_to, text="Yo creo que a las 15:00.", message_id="<cm@x>"),
    )
    # When the poll runs
    report = mail_answers_poll(url=dovecot)
    # Then the head's reply is the answer, the community manager's is refused and both are kept
    assert (report.answered, report.refused, report.failed) == (1, 1, 0)
    assert Answer.objects.get(request=notified_request).text == "Vuelve a las 14:00."
    notified_request.refresh_from_db()
    assert notified_request.status == RequestStatus.ANSWERED
    assert InboundMail.objects.get(message_id="<cm@x>").reason == "not_member"
    # and in the mailbox both are read, the refused one flagged for whoever looks after it
    flags = _flags(dovecot)
    assert "\\Seen" in flags["<head@telco.example>"] and REFUSED_FLAG not in flags["<head@telco.example>"]
    assert {"\\Seen", REFUSED_FLAG} <= flags["<cm@x>"]
    # And polling again reads nothing new
    again = mail_answers_poll(url=dovecot)
    assert (again.answered, again.refused, again.duplicates) == (0, 0, 0)
    assert Answer.objects.count() == 1


def test_a_message_the_desk_fails_on_stays_unread_and_is_answered_at_the_next_poll(
    dovecot, notified_request, monkeypatch
):
    # Given the head's reply waits in the mailbox while the database is away
    _deliver(
        dovecot,
        reply_mime(sender="marta@telco.example", to=sent_email()[0].reply_to[0], text="Sí.", message_id="<r@x>"),
    )
    receive = mail_imap.mail_answer_receive

    def database_away(**kwargs):
        raise OperationalError("the database is away")

    monkeypatch.setattr(mail_imap, "mail_answer_receive", database_away)
    # When the poll fails on it
    assert mail_answers_poll(url=dovecot).failed == 1
    # Then it is still unread, and the next poll, with the database back, records it once
    assert "\\Seen" not in _flags(dovecot)["<r@x>"]
    monkeypatch.setattr(mail_imap, "mail_answer_receive", receive)
    assert mail_answers_poll(url=dovecot).answered == 1
    assert Answer.objects.get(request=notified_request).text == "Sí."


def test_a_wrong_password_raises_so_the_beat_logs_it(dovecot, notified_request):
    wrong = dovecot.replace(dovecot.split(":")[2].split("@")[0], "guess")
    with pytest.raises(imaplib.IMAP4.error):
        mail_answers_poll(url=wrong)


def test_the_mailbox_is_polled_only_when_one_is_configured():
    assert mail_poll_schedule("") == {}
    entry = mail_poll_schedule("imaps://answers@imap.telco.example/INBOX")["escalation-mail-poll"]
    assert entry["task"] in app.tasks
