"""Each network's connector says what the console may do there: reply, hide, and how long a reply may be."""

import pytest

from inbox.connectors import CONNECTOR_CLASSES, capabilities_for


@pytest.mark.parametrize(
    ("kind", "reply", "hide", "max_length"),
    [
        ("x", True, False, 280),
        ("mastodon", True, False, 500),
        ("facebook", True, True, 8000),
        ("instagram", True, True, 2200),
        ("rss", False, False, 0),
        ("webhook", False, False, 0),
    ],
)
def test_each_network_declares_its_replies_hides_and_length(kind, reply, hide, max_length):
    capabilities = capabilities_for(kind)
    assert (capabilities.reply, capabilities.hide, capabilities.max_length) == (reply, hide, max_length)


def test_a_connector_that_replies_names_its_length_limit():
    for kind in CONNECTOR_CLASSES:
        capabilities = capabilities_for(kind)
        assert capabilities.reply == (capabilities.max_length > 0), kind
