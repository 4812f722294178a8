"""Outgoing HTTP clients (the networks' APIs, helpdesks, webhooks): built in one place, on one TLS context.

Building an `httpx.Client` loads the CA bundle into a new TLS context, 20–40 ms of CPU. A connector is made
for every webhook delivery it parses, so in a crisis that load was half of the worker's time
(docs/PERFORMANCE.md). A context is safe to share between clients and threads; each process builds its own.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@cache
def tls_context() -> ssl.SSLContext:
    """The process's TLS context: the system's trust store, or SSL_CERT_FILE / SSL_CERT_DIR when set."""
    return httpx.create_ssl_context()


def http_client(*, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT, follow_redirects: bool = False) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=follow_redirects, verify=tls_context())
