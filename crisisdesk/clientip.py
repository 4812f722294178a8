"""The client's address, the one way every part of Crisis Desk reads it (login policy, API throttles).

A forwarded header is anyone's to write: `X-Forwarded-For` is believed only when the connection
comes from a proxy the operator declared in `TRUSTED_PROXIES`, and then only up to the first hop
that is not itself a declared proxy. With no proxies declared, the address is the peer's.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(declared: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in declared)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request, as far as the declared proxies vouch for it."""
    peer = request.META.get("REMOTE_ADDR") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    peer_address = _parse(peer)
    if not networks or peer_address is None or not _is_trusted(peer_address, networks):
        return peer
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = peer
    # Walk back from the nearest hop: each declared proxy vouches for the hop before it.
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client
