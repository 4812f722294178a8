"""Triage JSON lines from stdin: `{"text": …, "lang"?: …, "author"?: {…}}` → one JSON line each."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from inbox.triage import TriageInput, TriageResult, fast_tier, model_tier

BATCH = 64


def triage_input_parse(line: str) -> TriageInput:
    """Raise ValueError with a readable message for anything that is not a usable input."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error.msg}") from error
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError('"text" must be a non-empty string')
    author = data.get("author") or {}
    if not isinstance(author, dict):
        raise ValueError('"author" must be an object')
    try:
        age = author.get("account_age_days")
        return TriageInput(
            text=text,
            language=str(data.get("lang") or ""),
            followers=max(0, int(author.get("followers") or 0)),
            verified=bool(author.get("verified", False)),
            account_age_days=None if age is None else int(age),
            previous_mentions=max(0, int(author.get("previous_mentions") or 0)),
            hidden_as_troll=max(0, int(author.get("hidden_as_troll") or 0)),
            in_open_crisis=bool(data.get("in_open_crisis", False)),
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"bad author field: {error}") from error


def _output(result: TriageResult) -> dict[str, Any]:
    return {
        "language": result.language,
        "sentiment": {"label": result.sentiment, "score": result.sentiment_score},
        "category": result.category,
        "priority": result.priority,
        "suggested_action": result.suggested_action,
        "suggested_department": result.suggested_department,
        "reasons": result.reasons,
        "topics": result.topics,
        "tier": result.tier,
    }


class Command(BaseCommand):
    help = 'Triage JSON lines read on stdin; writes one JSON line per input (a bad line gets {"error": …}).'
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--tier", choices=["fast", "model", "both"], default="fast")

    def handle(self, *args, tier: str, **options):
        pending: list[tuple[int, TriageInput]] = []
        outputs: dict[int, dict[str, Any]] = {}
        next_to_write = 0
        stdin = options.get("stdin") or sys.stdin
        for number, raw in enumerate(line for line in stdin if line.strip()):
            try:
                pending.append((number, triage_input_parse(raw)))
            except ValueError as error:
                outputs[number] = {"error": str(error), "line": number + 1}
            if len(pending) >= BATCH:
                outputs.update(self._run(pending, tier))
                pending = []
            next_to_write = self._flush(outputs, next_to_write)
        outputs.update(self._run(pending, tier))
        self._flush(outputs, next_to_write)

    def _run(self, pending: list[tuple[int, TriageInput]], tier: str) -> dict[int, dict[str, Any]]:
        if not pending:
            return {}
        inputs = [item for _, item in pending]
        numbers = [number for number, _ in pending]
        if tier == "both":
            fast = fast_tier().triage_batch(inputs)
            model = model_tier().triage_batch(inputs)
            return {n: {"fast": _output(f), "model": _output(m)} for n, f, m in zip(numbers, fast, model, strict=True)}
        chosen = fast_tier() if tier == "fast" else model_tier()
        return {n: _output(r) for n, r in zip(numbers, chosen.triage_batch(inputs), strict=True)}

    def _flush(self, outputs: dict[int, dict[str, Any]], next_to_write: int) -> int:
        while next_to_write in outputs:
            self.stdout.write(json.dumps(outputs.pop(next_to_write), ensure_ascii=False))
            next_to_write += 1
        return next_to_write
