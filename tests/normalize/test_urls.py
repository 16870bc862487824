"""canonicalize_url, one table row per rule (see the module docstring for the rules)."""

from __future__ import annotations

import pytest

from groundswell.normalize.urls import TRACKING_PARAMS, canonicalize_url

CASES = [
    # 1. unusable URLs
    ("not http", "ftp://example.com/file", None),
    ("javascript", "javascript:alert(1)", None),
    ("mailto", "mailto:a@example.com", None),
    ("no scheme", "www.example.com/a", None),
    ("protocol-relative", "//example.com/a", None),
    ("no host", "http://", None),
    ("no host, path only", "http:///a/b", None),
    ("garbage", "not a url", None),
    ("empty", "", None),
    ("space in host", "http://exa mple.com/", None),
    ("single label host", "http://intranet/a", None),
    ("bad port", "http://example.com:99999/", None),
    ("bad ipv6", "http://[::1/", None),
    ("numeric non-ip", "http://1.2.3/", None),
    ("bad ipv4", "http://999.1.1.1/", None),
    ("bad label", "http://-bad-.example.com/", None),
    # 2. scheme, host, port, userinfo
    ("lower-case scheme and host", "HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
    ("surrounding whitespace", "  https://example.com/a \n", "https://example.com/a"),
    (
        "tab and newline removed as browsers do",
        "https://exam\tple.com/a\nb",
        "https://example.com/ab",
    ),
    ("idna host", "https://例子.测试/", "https://xn--fsqu00a.xn--0zwm56d/"),
    ("punycode kept", "https://xn--fsqu00a.xn--0zwm56d/", "https://xn--fsqu00a.xn--0zwm56d/"),
    ("trailing dot", "https://example.com./a", "https://example.com/a"),
    ("default http port", "http://example.com:80/a", "http://example.com/a"),
    ("default https port", "https://example.com:443/a", "https://example.com/a"),
    ("other port kept", "https://example.com:8443/a", "https://example.com:8443/a"),
    ("443 is not default for http", "http://example.com:443/", "http://example.com:443/"),
    ("userinfo dropped", "https://user:pw@example.com/a", "https://example.com/a"),
    ("ipv4", "http://192.168.0.1:8080/x", "http://192.168.0.1:8080/x"),
    ("ipv6", "http://[2001:DB8:0:0::1]/x", "http://[2001:db8::1]/x"),
    # 3. mobile and amp hosts
    ("m.", "https://m.example.com/a", "https://example.com/a"),
    ("mobile.", "https://mobile.example.co.uk/a", "https://example.co.uk/a"),
    ("wap.", "http://wap.example.cn/a", "http://example.cn/a"),
    ("amp.", "https://amp.example.com/a", "https://example.com/a"),
    ("m.weibo.cn", "https://m.weibo.cn/status/4567", "https://weibo.cn/status/4567"),
    ("stacked prefixes", "https://m.amp.example.com/", "https://example.com/"),
    ("m. on a two-label host kept", "https://m.co/x", "https://m.co/x"),
    ("www. kept", "https://www.example.com/", "https://www.example.com/"),
    ("m inside a label kept", "https://mm.example.com/", "https://mm.example.com/"),
    # 4. Google AMP viewer
    (
        "google amp viewer",
        "https://www.google.com/amp/s/www.example.com/news/1.amp.html",
        "https://www.example.com/news/1.html",
    ),
    # 5. path
    ("root slash added", "https://example.com", "https://example.com/"),
    ("root slash kept", "https://example.com/", "https://example.com/"),
    ("trailing slash removed", "https://example.com/a/b/", "https://example.com/a/b"),
    ("duplicate slashes", "https://example.com//a///b", "https://example.com/a/b"),
    ("dot segments", "https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("path ending in /amp", "https://example.com/news/1/amp", "https://example.com/news/1"),
    ("path ending in /amp/", "https://example.com/news/1/amp/", "https://example.com/news/1"),
    ("/amp/ segment", "https://example.com/amp/news/1", "https://example.com/news/1"),
    ("amp inside a word kept", "https://example.com/camp/ample", "https://example.com/camp/ample"),
    (".amp.html", "https://example.com/news/1.amp.html", "https://example.com/news/1.html"),
    ("escapes upper-cased", "https://example.com/%e4%b8%ad", "https://example.com/%E4%B8%AD"),
    ("unreserved decoded", "https://example.com/%7Euser/%41", "https://example.com/~user/A"),
    ("encoded slash kept", "https://example.com/a%2fb", "https://example.com/a%2Fb"),
    (
        "non-ascii encoded",
        "https://example.com/新闻 1",
        "https://example.com/%E6%96%B0%E9%97%BB%201",
    ),
    ("stray percent", "https://example.com/100%", "https://example.com/100%25"),
    # 6. query
    ("params sorted", "https://example.com/?b=2&a=1&c", "https://example.com/?a=1&b=2&c"),
    (
        "utm_* dropped",
        "https://example.com/a?utm_source=x&UTM_Campaign=y&id=3",
        "https://example.com/a?id=3",
    ),
    (
        "click ids dropped",
        "https://example.com/a?fbclid=1&gclid=2&msclkid=3&yclid=4",
        "https://example.com/a",
    ),
    (
        "share params dropped",
        "https://example.com/a?from=timeline&isappinstalled=0&spm=a.b",
        "https://example.com/a",
    ),
    (
        "ref dropped",
        "https://example.com/a?ref=home&ref_src=twsrc&x=1",
        "https://example.com/a?x=1",
    ),
    ("amp param dropped", "https://example.com/a?amp&id=1", "https://example.com/a?id=1"),
    ("amp=1 dropped", "https://example.com/a?amp=1", "https://example.com/a"),
    ("outputType=amp dropped", "https://example.com/a?outputType=amp", "https://example.com/a"),
    (
        "outputType=other kept",
        "https://example.com/a?outputType=json",
        "https://example.com/a?outputType=json",
    ),
    ("empty pieces dropped", "https://example.com/a?&&x=1&", "https://example.com/a?x=1"),
    ("blank value kept", "https://example.com/a?q=", "https://example.com/a?q="),
    (
        "query escapes",
        "https://example.com/s?q=%e4%b8%ad+%7e",
        "https://example.com/s?q=%E4%B8%AD+~",
    ),
    # 7. fragment
    ("fragment dropped", "https://example.com/a#comments", "https://example.com/a"),
    ("hashbang dropped", "https://example.com/#!/post/1", "https://example.com/"),
]


@pytest.mark.parametrize(("rule", "url", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(rule: str, url: str, expected: str | None) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize("url", [c[1] for c in CASES if c[2] is not None])
def test_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert once is not None
    assert canonicalize_url(once) == once


def test_variants_of_one_story_meet() -> None:
    variants = [
        "https://www.example.com/news/2024/story.html",
        "HTTPS://WWW.EXAMPLE.COM:443/news//2024/story.html?utm_source=wechat#top",
        "https://m.www.example.com/news/2024/story.html",
        "https://www.example.com/news/2024/story.amp.html?outputType=amp",
        "https://www.example.com/amp/news/2024/story.html?from=singlemessage&isappinstalled=0",
    ]
    assert {canonicalize_url(v) for v in variants} == {variants[0]}


def test_tracking_set_is_documented_and_lower_case() -> None:
    assert {"fbclid", "gclid", "spm", "from", "ref", "share_token", "_hsenc"} <= TRACKING_PARAMS
    assert all(name == name.lower() for name in TRACKING_PARAMS)


@pytest.mark.parametrize(
    "junk", ["http://\x00evil.com/", "http://a.com/\x1b[0m", "x" * 10_000, "🙂://x.y"]
)
def test_junk_never_raises(junk: str) -> None:
    assert canonicalize_url(junk) is None
