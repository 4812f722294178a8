"""The drill channel: a crisis replayed from the brand's archive (`playbooks.drills`), on no network.

Its mentions are copies of past ones, fed by the drill's beat task through `mentions_ingest`; it is
never polled. Replying, hiding and posting behave as on a network (the team practises the real
gestures) and reach nothing: no method here makes a call, whatever the channel's `base_url` says.
"""

from __future__ import annotations

import zlib
from typing import Any

from inbox.connectors.base import Capabilities, Connector, FetchResult


class DrillConnector(Connector):
    kind = "drill"
    capabilities = Capabilities(fetch=False, reply=True, hide=True, max_length=2000, publish=True)

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        """Nothing to read: the drill's feeder stores the replayed mentions itself."""
        return FetchResult(next_cursor=dict(cursor))

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        return f"drill-reply-{in_reply_to}-{zlib.crc32(text.encode())}"[:128]

    def publish_post(self, *, text: str) -> str:
        return f"drill-post-{zlib.crc32(text.encode())}"

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        return None
