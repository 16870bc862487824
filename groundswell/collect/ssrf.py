"""Address guard: refuse to fetch from private, loopback and other non-public addresses.

Source URLs are typed in by users (and redirects are chosen by remote servers), so
without a guard Groundswell could be pointed at the cloud metadata service, the
database, or the admin UI on localhost. The guard resolves the host and refuses
if ANY address is non-public, unless the host or address is explicitly allowed.

Two layers use it: `PoliteFetcher` checks every hop before connecting (clear
error, works with any transport), and `GuardedNetworkBackend` checks again at
connect time and connects to exactly the address it checked, so a DNS answer
that changes between the two (DNS rebinding) cannot slip a private address in.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore

from groundswell.errors import BlockedAddressError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def blocked_reason(ip: IPAddress) -> str | None:
    """Why this address must not be fetched from, or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that embed an IPv4 address are judged by the embedded one too.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            inner = blocked_reason(embedded)
            if inner:
                return f"{inner}, embedded in IPv6"
    checks = (
        ("is_unspecified", "unspecified address"),
        ("is_loopback", "loopback address"),
        ("is_link_local", "link-local address"),
        ("is_multicast", "multicast address"),
        ("is_private", "private address"),
        ("is_reserved", "reserved address"),
    )
    for attr, reason in checks:
        if getattr(ip, attr):
            return reason
    if not ip.is_global:
        return "non-public address"
    return None


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


class AddressGuard:
    """Decides which hosts and addresses may be fetched from.

    `allowed_hosts` entries are hostnames ("localhost"), addresses ("127.0.0.1")
    or networks ("10.1.0.0/16"); an allowed hostname skips the checks entirely,
    an allowed address or network only excuses addresses inside it.
    """

    def __init__(self, *, allow_private: bool = False, allowed_hosts: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self._names: set[str] = set()
        self._networks: list[IPNetwork] = []
        for entry in allowed_hosts:
            try:
                self._networks.append(ipaddress.ip_network(entry.strip("[] "), strict=False))
            except ValueError:
                self._names.add(_normalise_host(entry))

    def host_allowed(self, host: str) -> bool:
        return self.allow_private or _normalise_host(host) in self._names

    def address_reason(self, ip: IPAddress) -> str | None:
        """Why `ip` is refused under this guard, or None if it may be used."""
        if self.allow_private or any(ip in net for net in self._networks):
            return None
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if mapped is not None and any(mapped in net for net in self._networks):
            return None
        return blocked_reason(ip)

    async def resolve(self, host: str, port: int, *, url: str | None) -> list[str]:
        """Resolve `host` and return its addresses, refusing if any is not allowed.

        Raises BlockedAddressError for a refused address and FetchError when the
        name does not resolve.
        """
        name = _normalise_host(host)
        if self.host_allowed(name):
            return [name]
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = await _lookup(name, port)
            except FetchError as exc:
                raise FetchError(f"GET {url}: {exc}" if url else str(exc)) from exc.__cause__
        for ip in addresses:
            reason = self.address_reason(ip)
            if reason:
                why = reason if literal is not None else f"{reason}; {host} resolves to it"
                raise BlockedAddressError(
                    f"refused {ip} ({why}) for {url or f'{host}:{port}'} "
                    "(SSRF guard; allow with allowed_hosts)"
                )
        return [str(a) for a in addresses]


async def _lookup(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        detail = getattr(exc, "strerror", None) or str(exc)
        raise FetchError(f"cannot resolve host {host!r}: {detail}") from exc
    seen: dict[str, IPAddress] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        # Parse what the resolver returned, not what the user typed: this is what
        # turns "2130706433" or "0177.0.0.1" into 127.0.0.1 before judging it.
        text = str(sockaddr[0]).split("%", 1)[0]
        seen.setdefault(text, ipaddress.ip_address(text))
    if not seen:
        raise FetchError(f"host {host!r} resolved to no addresses")
    return list(seen.values())


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore backend that re-checks the address at connect time and pins it.

    TLS still verifies and sends SNI for the original hostname, because httpcore
    takes those from the request origin, not from the address we connect to.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend, guard: AddressGuard) -> None:
        self._inner = inner
        self._guard = guard

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._guard.resolve(host, port, url=None)
        except BlockedAddressError:
            raise
        except FetchError as exc:  # unresolvable: let httpx report it as a connect error
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched (SSRF guard)")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
