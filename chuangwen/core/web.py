"""Small helpers shared by the web views and the API of the apps."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, QueryDict

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def user_of(request: HttpRequest) -> User:
    """The signed-in user of a request that a login check has already let through."""
    return cast("User", request.user)


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not a boosted link or a history restore, which want the
    whole page): the one test of "partial or full page?" every view asks."""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.boosted and not htmx.history_restore_request


def querystring(params: QueryDict, *, drop: tuple[str, ...] = ("page",)) -> str:
    """The non-empty GET parameters without ``drop``, URL-encoded (for links that keep the filters)."""
    pairs = [(key, value) for key, values in params.lists() if key not in drop for value in values if value]
    return urlencode(pairs)


def percent(part: int, whole: int) -> str:
    """``part`` as a share of ``whole`` with one decimal, or an em dash when there is nothing to divide."""
    if whole <= 0:
        return "—"
    return f"{100 * part / whole:.1f}%"


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse_ip(raw: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(raw.strip())
    except ValueError:
        return None


def _is_trusted(address: IPAddress, proxies: tuple[IPNetwork, ...]) -> bool:
    # A dual-stack listener reports an IPv4 proxy as ::ffff:a.b.c.d.
    plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return any(address in net or (plain is not None and plain in net) for net in proxies)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, normalised the way the database returns it (audit hashes depend on it).

    The connecting address (REMOTE_ADDR), unless it is one of ``TRUSTED_PROXIES``: then X-Forwarded-For is
    walked from the right, past trusted proxies, and the first untrusted address is the client. Only the
    right end can be believed: each trusted proxy appends the address it saw, and whatever the client sent
    stays on the left. A malformed entry on the way falls back to the connecting address.
    """
    if request is None:
        return None
    peer = _parse_ip(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return None
    proxies = _networks(tuple(settings.TRUSTED_PROXIES))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if not proxies or not forwarded.strip() or not _is_trusted(peer, proxies):
        return str(peer)
    client = peer
    for hop in reversed(forwarded.split(",")):
        address = _parse_ip(hop)
        # A zone ("fe80::1%eth0") is meaningless off the proxy's host, and PostgreSQL's inet refuses it.
        if address is None or (isinstance(address, ipaddress.IPv6Address) and address.scope_id):
            return str(peer)
        client = address
        if not _is_trusted(address, proxies):
            break
    return str(client)
