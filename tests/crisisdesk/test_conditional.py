"""A page's fingerprint names its rows' values, not the objects that hold them."""

from datetime import UTC, datetime

from crisisdesk.conditional import rows_fingerprint


def _page(status: str) -> list[dict]:
    at = datetime(2026, 12, 3, 9, 30, 0, 123456, tzinfo=UTC)
    return [{"id": n, "status": "".join(status), "received_at": at, "raw": {"tags": ["x", "y"]}} for n in range(3)]


def test_equal_rows_built_from_different_objects_have_one_fingerprint():
    shared = "new"
    same_object = [{"id": 1, "status": shared, "state": shared}]
    copies = [{"id": 1, "status": "".join(["n", "e", "w"]), "state": "ne" + "w"}]
    assert rows_fingerprint(same_object) == rows_fingerprint(copies)
    assert rows_fingerprint(_page("new")) == rows_fingerprint(_page("new"))


def test_any_changed_value_or_order_changes_the_fingerprint():
    page = _page("new")
    assert rows_fingerprint(page) != rows_fingerprint(_page("replied"))
    later = _page("new")
    later[2]["received_at"] = later[2]["received_at"].replace(microsecond=123457)
    assert rows_fingerprint(page) != rows_fingerprint(later)
    assert rows_fingerprint(page) != rows_fingerprint(list(reversed(page)))
