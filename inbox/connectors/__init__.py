"""One module per network, all behind `inbox.connectors.base.Connector`."""

from __future__ import annotations

from importlib import import_module

from inbox.connectors.base import Capabilities, Connector, ConnectorError, OwnAccount
from inbox.credentials import channel_credentials_update, credentials_decrypt

CONNECTOR_CLASSES = {
    "simulator": "inbox.connectors.simulator.SimulatorConnector",
    "x": "inbox.connectors.x.XConnector",
    "mastodon": "inbox.connectors.mastodon.MastodonConnector",
    "facebook": "inbox.connectors.meta.FacebookConnector",
    "instagram": "inbox.connectors.meta.InstagramConnector",
    "rss": "inbox.connectors.rss.RssConnector",
    "webhook": "inbox.connectors.webhook.WebhookConnector",
    "bluesky": "inbox.connectors.bluesky.BlueskyConnector",
    "discourse": "inbox.connectors.discourse.DiscourseConnector",
    "youtube": "inbox.connectors.youtube.YouTubeConnector",
    "threads": "inbox.connectors.threads.ThreadsConnector",
    "google_business": "inbox.connectors.google_business.GoogleBusinessConnector",
    "appstore": "inbox.connectors.appstore.AppStoreConnector",
    "googleplay": "inbox.connectors.googleplay.GooglePlayConnector",
    "drill": "inbox.connectors.drill.DrillConnector",
}


def connector_class(kind: str) -> type[Connector]:
    dotted = CONNECTOR_CLASSES.get(kind)
    if dotted is None:
        raise ConnectorError(f"Unknown channel kind: {kind!r}")
    module_name, class_name = dotted.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)


def connector_for(channel, **kwargs) -> Connector:
    """The channel's connector; tokens it renews (OAuth 2.0 refresh) are written back to the channel."""
    cls = connector_class(channel.kind)
    if channel.pk is not None:
        kwargs.setdefault(
            "credentials_store",
            lambda update: channel_credentials_update(channel_id=channel.pk, update=update),
        )
    return cls(
        base_url=channel.base_url,
        config=channel.config,
        credentials=credentials_decrypt(channel.credentials_encrypted),
        **kwargs,
    )


def own_account_for(channel) -> OwnAccount:
    """The brand's own ids and handles on the channel's network (never ingested as mentions)."""
    return connector_class(channel.kind).own_account(dict(channel.config or {}))


def capabilities_for(kind: str) -> Capabilities:
    """What a channel of this kind can do on its network, without building a connector."""
    return connector_class(kind).capabilities
