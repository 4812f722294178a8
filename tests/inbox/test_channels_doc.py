"""docs/CHANNELS.md's table says what every connector declares: a connector missing from it fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inbox.connectors import CONNECTOR_CLASSES, capabilities_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "CHANNELS.md"
COLUMNS = {
    "fetch": "fetch",
    "webhook": "webhook",
    "reply": "reply",
    "hide": "hide",
    "private reply": "private_reply",
    "max length": "max_length",
    "media": "media",
    "publish": "publish",
}


def doc_table() -> dict[str, dict[str, object]]:
    """The first table whose header starts with "channel", as {kind: {capability: value}}."""
    lines = [line.strip() for line in DOC.read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("| channel |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows: dict[str, dict[str, object]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        kind = cells[0].strip("`")
        rows[kind] = {COLUMNS[name]: _value(cell) for name, cell in zip(header[1:], cells[1:], strict=True)}
    return rows


def _value(cell: str) -> object:
    text = re.sub(r"[¹²³⁴⁵⁶⁷⁸⁹⁰*]+$", "", cell).strip().lower()
    if text in ("yes", "no"):
        return text == "yes"
    return int(text)


def test_the_table_has_every_column():
    assert set(next(iter(doc_table().values()))) == set(COLUMNS.values())


@pytest.mark.parametrize("kind", sorted(CONNECTOR_CLASSES))
def test_every_connector_has_a_row_matching_its_declared_capabilities(kind):
    rows = doc_table()
    assert kind in rows, f"docs/CHANNELS.md has no row for the {kind!r} connector"
    capabilities = capabilities_for(kind)
    declared = {field: getattr(capabilities, field) for field in COLUMNS.values()}
    assert rows[kind] == declared


def test_the_table_names_no_connector_that_does_not_exist():
    assert set(doc_table()) <= set(CONNECTOR_CLASSES)
