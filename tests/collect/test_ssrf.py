"""The SSRF guard: address rules, allow-lists, every redirect hop, connect-time pinning.

Nothing here may connect to a private range: refused addresses must be refused
before any connection is attempted (only 127.0.0.1 is ever really contacted).
"""

from __future__ import annotations

import ipaddress

import pytest

from groundswell.collect import ssrf
from groundswell.collect.fetcher import FetchPolicy, PoliteFetcher
from groundswell.collect.ssrf import AddressGuard, blocked_reason
from groundswell.errors import BlockedAddressError
from tests.support.http_server import LocalHTTPServer, Reply


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.1", "private address"),
        ("192.168.1.1", "private address"),
        ("172.16.5.4", "private address"),
        ("127.0.0.1", "loopback address"),
        ("::1", "loopback address"),
        ("169.254.169.254", "link-local address"),
        ("fe80::1", "link-local address"),
        ("224.0.0.1", "multicast address"),
        ("0.0.0.0", "unspecified address"),
        ("100.64.0.1", "non-public address"),
        ("fc00::1", "private address"),
        ("::ffff:10.0.0.1", "private address, embedded in IPv6"),
        ("::ffff:127.0.0.1", "loopback address, embedded in IPv6"),
        ("2002:a00:1::", "private address, embedded in IPv6"),  # 6to4 of 10.0.0.1
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_blocked_reason(address: str, reason: str | None):
    assert blocked_reason(ipaddress.ip_address(address)) == reason


async def test_literal_private_address_is_refused_with_a_clear_message():
    with pytest.raises(BlockedAddressError) as caught:
        await AddressGuard().resolve("10.0.0.1", 80, url="http://10.0.0.1/feed")
    assert str(caught.value) == (
        "refused 10.0.0.1 (private address) for http://10.0.0.1/feed "
        "(SSRF guard; allow with allowed_hosts)"
    )


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "localhost"])
async def test_names_that_resolve_to_loopback_are_refused(host: str):
    # The resolver, not the user's spelling, decides what is contacted.
    with pytest.raises(BlockedAddressError, match=r"loopback address; .* resolves to it"):
        await AddressGuard().resolve(host, 80, url=f"http://{host}/")


async def test_allowed_hosts_by_name_cidr_and_switch():
    assert await AddressGuard(allowed_hosts={"10.0.0.0/8"}).resolve("10.1.2.3", 80, url="u")
    assert await AddressGuard(allowed_hosts={"LocalHost."}).resolve("localhost", 80, url="u")
    assert await AddressGuard(allow_private=True).resolve("192.168.0.1", 80, url="u")
    with pytest.raises(BlockedAddressError):
        await AddressGuard(allowed_hosts={"localhost"}).resolve("127.0.0.1", 80, url="u")


def local_only(**overrides: object) -> FetchPolicy:
    base: dict[str, object] = {"per_host_interval": 0.0, "allowed_hosts": frozenset({"localhost"})}
    return FetchPolicy(**{**base, **overrides})  # type: ignore[arg-type]


async def test_default_policy_refuses_loopback_before_connecting(http_server: LocalHTTPServer):
    http_server.route("/feed", "x")
    async with PoliteFetcher(FetchPolicy(per_host_interval=0.0)) as fetcher:
        with pytest.raises(BlockedAddressError, match=r"refused 127\.0\.0\.1 \(loopback"):
            await fetcher.fetch(http_server.url("/feed"))
    assert http_server.requests == []  # not even robots.txt


async def test_redirect_to_loopback_is_refused(http_server: LocalHTTPServer):
    target = http_server.url("/admin")  # http://127.0.0.1:PORT/admin
    http_server.route("/go", Reply(302, headers={"Location": target}))
    http_server.route("/admin", "should never be served")
    async with PoliteFetcher(local_only()) as fetcher:
        with pytest.raises(BlockedAddressError) as caught:
            await fetcher.fetch(http_server.url("/go", host="localhost"))
    assert str(caught.value) == (
        f"refused 127.0.0.1 (loopback address) for {target} (SSRF guard; allow with allowed_hosts)"
    )
    assert http_server.requests_to("/go") and not http_server.requests_to("/admin")


async def test_redirect_to_private_range_is_refused_without_connecting(
    http_server: LocalHTTPServer,
):
    http_server.route("/go", Reply(301, headers={"Location": "http://10.0.0.1/latest/meta-data"}))
    async with PoliteFetcher(local_only(connect_timeout=2.0, max_retries=0)) as fetcher:
        with pytest.raises(BlockedAddressError) as caught:
            await fetcher.fetch(http_server.url("/go", host="localhost"))
    # A BlockedAddressError (not a connect timeout) proves no connection was tried.
    assert "refused 10.0.0.1 (private address) for http://10.0.0.1/latest/meta-data" in str(
        caught.value
    )


async def test_dns_rebinding_is_caught_at_connect_time(
    http_server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
):
    """First lookup says public, the one at connect time says loopback: refused."""
    answers = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("127.0.0.1")]
    calls: list[str] = []

    async def rebinding_lookup(host: str, port: int) -> list[ipaddress.IPv4Address]:
        calls.append(host)
        return [answers[min(len(calls), 2) - 1]]  # type: ignore[list-item]

    monkeypatch.setattr(ssrf, "_lookup", rebinding_lookup)
    url = f"http://rebind.test:{http_server.port}/feed"
    async with PoliteFetcher(local_only(respect_robots=False, max_retries=0)) as fetcher:
        with pytest.raises(BlockedAddressError, match=r"refused 127\.0\.0\.1 \(loopback"):
            await fetcher.fetch(url)
    assert calls == ["rebind.test", "rebind.test"]
    assert http_server.requests == []
