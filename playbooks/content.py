"""The shape of a playbook version's content: validation, people it names, and a text form for diffs.

Content is JSON so a crisis can snapshot it whole. Every reader goes through `content_clean`, so a
missing key never breaks a crisis that is already running.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from crisisdesk.models import Role
from playbooks.choices import IncidentRole
from playbooks.errors import TranslatableError

ROLE_PREFIX = "role:"
APPROVAL_MODES = ("any", "all")
# A step is for a console role, or for whoever holds an incident role of the crisis (then assigned to them).
STEP_ROLES = (*Role.values, *IncidentRole.values)


class ContentInvalid(TranslatableError, ValueError):
    """Playbook content that cannot be saved; the message says which part."""


def content_clean(raw: dict[str, Any] | None) -> dict[str, Any]:
    """Return content with every key present and every value of the right type, or raise ContentInvalid."""
    raw = dict(raw or {})
    steps = []
    for index, step in enumerate(raw.get("steps") or [], start=1):
        if not isinstance(step, dict) or not str(step.get("text", "")).strip():
            raise ContentInvalid(_("Step %(index)s has no text."), index=index)
        role = str(step.get("role") or Role.COMMUNITY_MANAGER)
        if role not in STEP_ROLES:
            raise ContentInvalid(_("Step %(index)s names an unknown role: %(role)s."), index=index, role=role)
        try:
            minutes = int(step.get("minutes") or 0)
        except (TypeError, ValueError) as error:
            raise ContentInvalid(_("Step %(index)s: the deadline must be a number of minutes."), index=index) from error
        if minutes < 0 or minutes > 60 * 24 * 30:
            raise ContentInvalid(_("Step %(index)s: the deadline must be between 0 and 43200 minutes."), index=index)
        steps.append({"text": str(step["text"]).strip()[:500], "role": role, "minutes": minutes})
    templates = []
    for index, template in enumerate(raw.get("templates") or [], start=1):
        if not isinstance(template, dict) or not str(template.get("body", "")).strip():
            raise ContentInvalid(_("Response template %(index)s is empty."), index=index)
        templates.append(
            {
                "name": str(template.get("name") or f"#{index}").strip()[:80],
                "body": str(template["body"]).strip(),
            }
        )
    approval = str(raw.get("approval") or "any")
    if approval not in APPROVAL_MODES:
        raise ContentInvalid(_("Approval must be 'any' or 'all'."))
    return {
        "title": str(raw.get("title") or "").strip()[:160],
        "summary": str(raw.get("summary") or "").strip(),
        "steps": steps,
        "decision_makers": _names(raw.get("decision_makers")),
        "notify": _names(raw.get("notify")),
        "departments": _names(raw.get("departments")),
        "approvers": _names(raw.get("approvers")),
        "approval": approval,
        "templates": templates,
        "holding_statement": str(raw.get("holding_statement") or "").strip(),
        "principles": [str(line).strip() for line in raw.get("principles") or [] if str(line).strip()],
    }


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    return list(dict.fromkeys(str(item).strip() for item in value if str(item).strip()))


@dataclass(frozen=True)
class PeopleSpec:
    usernames: tuple[str, ...]
    roles: tuple[str, ...]


def people_spec(names: list[str]) -> PeopleSpec:
    """Split "elena, role:director" into usernames and roles."""
    usernames = tuple(name for name in names if not name.startswith(ROLE_PREFIX))
    roles = tuple(name[len(ROLE_PREFIX) :] for name in names if name.startswith(ROLE_PREFIX))
    return PeopleSpec(usernames=usernames, roles=roles)


def content_lines(content: dict[str, Any]) -> list[str]:
    """A stable, human-readable text form of a version, used for diffs."""
    content = content_clean(content)
    lines = [f"# {content['title']}", content["summary"], "", "## Steps"]
    lines += [f"{step['minutes']} | {step['role']} | {step['text']}" for step in content["steps"]]
    lines += ["", "## Decision makers", ", ".join(content["decision_makers"])]
    lines += ["## Notify", ", ".join(content["notify"])]
    lines += ["## Departments to inform", ", ".join(content["departments"])]
    lines += ["## Statement approvers", f"{content['approval']}: " + ", ".join(content["approvers"])]
    lines += ["", "## Response templates"]
    lines += [f"{template['name']} | {template['body']}" for template in content["templates"]]
    lines += ["", "## Holding statement", content["holding_statement"], "", "## Principles"]
    lines += [f"- {principle}" for principle in content["principles"]]
    return lines


def content_diff(old: dict[str, Any], new: dict[str, Any], *, old_label: str, new_label: str) -> list[str]:
    """A unified diff of two versions, as plain lines (templates escape them)."""
    return list(
        difflib.unified_diff(
            content_lines(old), content_lines(new), fromfile=old_label, tofile=new_label, lineterm=""
        )
    )


def steps_parse(text: str) -> list[dict[str, Any]]:
    """One step per line, "minutes | role | text"; a bare line is a community manager's step at 0."""
    steps = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 1:
            steps.append({"minutes": 0, "role": Role.COMMUNITY_MANAGER, "text": parts[0]})
            continue
        if len(parts) != 3:
            raise ContentInvalid(_("Line %(number)s: write 'minutes | role | step'."), number=number)
        minutes, role, step_text = parts
        if not minutes.isdigit():
            raise ContentInvalid(_("Line %(number)s: the deadline must be a whole number of minutes."), number=number)
        steps.append({"minutes": int(minutes), "role": role, "text": step_text})
    return steps


def steps_text(steps: list[dict[str, Any]]) -> str:
    return "\n".join(f"{step['minutes']} | {step['role']} | {step['text']}" for step in steps)


def templates_parse(text: str) -> list[dict[str, str]]:
    """One template per line, "name | body"."""
    templates = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, separator, body = line.partition("|")
        if not separator or not body.strip():
            raise ContentInvalid(_("Template line %(number)s: write 'name | text'."), number=number)
        templates.append({"name": name.strip(), "body": body.strip()})
    return templates


def templates_text(templates: list[dict[str, str]]) -> str:
    return "\n".join(f"{template['name']} | {template['body']}" for template in templates)
