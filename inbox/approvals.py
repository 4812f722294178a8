"""The approval policy, pure: which risky phrases a reply contains, why a reply must wait, who may decide.

No database and no network here. Phrases are written one per line; a plain line is matched as whole
words without case or accents ("culpa suya" finds "Culpa SUYA"), a line starting "re:" is a regular
expression (the `regex` module, matched without case against the reply as written). Every pattern is
matched with a time limit, so a pattern that backtracks without end cannot stall a reply: it is refused
when the rule is saved (tried against strings that make such patterns explode), and should one still
run out of time on a reply, the reply waits for approval — the safe side during a crisis.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import regex
from django.utils.translation import gettext as _

from crisisdesk.models import User
from crisisdesk.roles import CONSOLE_STAFF, user_role

REGEX_PREFIX = "re:"
MAX_PATTERNS = 200
MAX_PATTERN_LENGTH = 200
MATCH_TIMEOUT_SECONDS = 0.05
# Inputs on which patterns with nested repetition backtrack for ever; a pattern must survive them all.
PROBES = ("a" * 3000 + "!", "1" * 3000 + "x", " " * 3000 + "!", "ab" * 1500 + "!")


@dataclass(frozen=True)
class RiskyPattern:
    source: str  # as written, shown as the reason
    compiled: Any  # a `regex` pattern
    is_regex: bool


def fold(text: str) -> str:
    """Lower case without accents, so "Tranquilo" and "tranquilo" match the same phrase."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _too_slow(compiled: Any) -> bool:
    for probe in PROBES:
        try:
            compiled.search(probe, timeout=MATCH_TIMEOUT_SECONDS)
        except TimeoutError:
            return True
    return False


def _pattern_compile(line: str, *, probe: bool) -> tuple[RiskyPattern | None, str]:
    """One written line as a pattern, or why it is refused (`probe`: also try it against exploding inputs)."""
    if line.lower().startswith(REGEX_PREFIX):
        source = line[len(REGEX_PREFIX) :].strip()
        if not source:
            return None, _("“%(line)s” has no pattern after “re:”.") % {"line": line}
        try:
            compiled = regex.compile(source, flags=regex.IGNORECASE)
        except regex.error as error:
            return None, _("“%(line)s” is not a valid pattern: %(error)s.") % {"line": line, "error": error}
        if compiled.search("", timeout=MATCH_TIMEOUT_SECONDS) is not None:
            return None, _("“%(line)s” matches every reply, even an empty one.") % {"line": line}
        if probe and _too_slow(compiled):
            return None, _("“%(line)s” takes too long to match (nested repetition): simplify it.") % {"line": line}
        return RiskyPattern(line, compiled, True), ""
    phrase = " ".join(fold(line).split())
    compiled = regex.compile(r"(?<!\w)" + regex.escape(phrase).replace(r"\ ", r"\s+") + r"(?!\w)")
    return RiskyPattern(line, compiled, False), ""


def patterns_parse(text: str, *, probe: bool = True) -> tuple[list[RiskyPattern], list[str]]:
    """The patterns of the rule's text and, for a form, what is wrong with it (empty lines are skipped).
    `probe=False` skips the slowness trial, already passed when the rule was saved."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    errors: list[str] = []
    if len(lines) > MAX_PATTERNS:
        errors.append(_("At most %(count)d phrases.") % {"count": MAX_PATTERNS})
    patterns: list[RiskyPattern] = []
    for line in lines[:MAX_PATTERNS]:
        if len(line) > MAX_PATTERN_LENGTH:
            errors.append(_("A phrase is longer than %(count)d characters.") % {"count": MAX_PATTERN_LENGTH})
            continue
        pattern, error = _pattern_compile(line, probe=probe)
        if pattern is None:
            errors.append(error)
        else:
            patterns.append(pattern)
    return patterns, errors


def risky_matches(*, patterns: Iterable[RiskyPattern], text: str) -> list[str]:
    """The phrases of `patterns` found in `text`, as written in the rule; a pattern out of time counts as found."""
    folded = fold(text)
    found = []
    for pattern in patterns:
        try:
            hit = pattern.compiled.search(text if pattern.is_regex else folded, timeout=MATCH_TIMEOUT_SECONDS)
        except TimeoutError:
            hit = True
        if hit:
            found.append(pattern.source)
    return found


def approver_may_decide(*, user: User, author_id: int, roles: Iterable[str], user_ids: Iterable[int]) -> bool:
    """Four eyes: anyone of the console's staff the request names, by role or by name, except the reply's
    own author (a department head never decides, whatever the rule says)."""
    if user.pk == author_id:
        return False
    role = user_role(user)
    return role in CONSOLE_STAFF and (role in set(roles) or user.pk in set(user_ids))
