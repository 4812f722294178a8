"""Outgoing HTTP: every client verifies certificates on one TLS context, and parsing a delivery builds none."""

from __future__ import annotations

import ssl

from crisisdesk.outbound import http_client, tls_context
from inbox.connectors.meta import MetaConnector


def test_every_client_verifies_certificates_on_the_processs_one_tls_context():
    context = tls_context()
    assert context is tls_context()
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    with http_client() as first, http_client(timeout=2.0, follow_redirects=True) as second:
        pools = [client._transport._pool for client in (first, second)]  # httpx's transport, httpcore's pool
        assert all(pool._ssl_context is context for pool in pools)
        assert (first.follow_redirects, second.follow_redirects) == (False, True)


def test_a_connector_builds_its_client_only_when_it_calls_the_network():
    connector = MetaConnector(config={"page_id": "1"})
    assert connector._http is None  # what parsing a pushed delivery costs: no CA bundle loaded
    client = connector.http
    assert client is connector.http
    assert client._transport._pool._ssl_context is tls_context()
