"""The new words of a reply: the quoted notification, the attribution line and the signature removed.

`mail-parser-reply` splits a body at the reply headers of the common clients ("On … wrote:",
"El … escribió:", Outlook's "From:/Sent:" block) in English and Spanish, and drops signatures and
disclaimers. Two gaps are closed here: a quoted tail of `>` lines whose attribution line the
library did not recognise, and HTML-only replies, read as text without their `<blockquote>` and the
clients' quote containers (Gmail's `gmail_quote`, Outlook's `divRplyFwdMsg`, Apple's cite).
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

LANGUAGES = ["es", "en"]
QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote")
QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")
BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table"}
SKIPPED_TAGS = {"blockquote", "style", "script", "head", "title"}
VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "wbr"}


class _ReplyHtml(HTMLParser):
    """The text of an HTML body outside its quoted parts, with line breaks where blocks end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open_tags: list[tuple[str, bool]] = []
        self.skipping = 0

    def _quoted(self, tag: str, attributes: dict[str, str]) -> bool:
        classes = attributes.get("class", "").lower().split()
        return (
            tag in SKIPPED_TAGS
            or any(name in classes for name in QUOTE_CLASSES)
            or attributes.get("id", "").lower() in QUOTE_IDS
            or attributes.get("type", "").lower() == "cite"
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS and not self.skipping:
            self.parts.append("\n")
        if tag in VOID_TAGS:
            return
        quoted = self._quoted(tag, {name: value or "" for name, value in attrs})
        self.open_tags.append((tag, quoted))
        self.skipping += quoted

    def handle_endtag(self, tag: str) -> None:
        while self.open_tags:
            opened, quoted = self.open_tags.pop()
            self.skipping -= quoted
            if opened == tag:
                break
        if tag in BLOCK_TAGS and not self.skipping:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible, unquoted text of an HTML body."""
    parser = _ReplyHtml()
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts)).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _quoted_lines_removed(text: str) -> str:
    """Without `>` lines: a quoted tail goes with the attribution line above it ("… wrote:")."""
    lines = text.splitlines()
    quoted = [line.lstrip().startswith(">") for line in lines]
    if True not in quoted:
        return text
    first = quoted.index(True)
    if all(flag or not line.strip() for flag, line in zip(quoted[first:], lines[first:], strict=True)):
        kept = lines[:first]
        while kept and not kept[-1].strip():
            kept.pop()
        if kept and kept[-1].rstrip().endswith(":"):
            kept.pop()
        return "\n".join(kept)
    return "\n".join(line for line, flag in zip(lines, quoted, strict=True) if not flag)


def reply_text(*, text: str, html: str = "") -> str:
    """The answer a reply carries: the text body (or the HTML one read as text) without quotes or signature."""
    body = text if text.strip() else html_text(html)
    if not body.strip():
        return ""
    message = EmailReplyParser(languages=list(LANGUAGES)).read(body)
    latest = message.replies[0].body if message.replies else body
    return _quoted_lines_removed(latest).strip()
