"""Canonical URLs, so the same story reached through share links, mobile or AMP pages dedups.

The canonical form is for identity, not for fetching: it keeps the URL usable
but drops everything that varies between copies of the same page.

Rules, in order (each has a row in tests/normalize/test_urls.py):
1. only absolute http/https URLs with a host are usable; anything else -> None;
2. scheme and host lower-cased, host IDNA-encoded, trailing dot dropped,
   user:password@ dropped, default ports (80/443) dropped;
3. host prefixes m., mobile., wap., amp. stripped while what remains still has
   at least two labels (m.weibo.cn -> weibo.cn, but m.co stays);
4. Google's AMP viewer (www.google.com/amp/s/HOST/PATH) unwrapped to https://HOST/PATH;
5. path: dot segments resolved, duplicate slashes collapsed, an `amp` segment
   removed (/news/1/amp, /amp/news/1), `.amp.html` -> `.html`, trailing slash
   removed except for the root, percent-escapes normalised (upper-case hex,
   unreserved characters decoded, spaces and non-ASCII encoded);
6. query: tracking parameters (TRACKING_PARAMS, any utm_*) and AMP switches
   (`amp`, `outputType=amp`) dropped, the rest sorted, empty pieces dropped;
7. fragment dropped (including #! routes: they rarely name distinct stories).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urlsplit

__all__ = ["TRACKING_PARAMS", "canonicalize_url"]

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # ad-click and campaign identifiers
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "li_fat_id", "igshid", "igsh", "_ga", "_gl",
        # e-mail marketing
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id",
        "oly_enc_id", "wt.mc_id",
        # referrer and share markers
        "ref", "ref_src", "ref_url", "from", "share_token", "share_source", "share_medium",
        "share_from", "isappinstalled", "spm", "scm", "vd_source",
        # WeChat article share/session noise (the article itself is __biz/mid/idx/sn)
        "scene", "srcid", "sharer_sharetime", "sharer_shareid", "clicktime", "enterid",
        "exportkey", "pass_ticket", "ascene", "chksm",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_",)
_MOBILE_PREFIXES = ("m.", "mobile.", "wap.", "amp.")

_HOST_LABELS = re.compile(
    r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)+"
)
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/?%:@!$&'()*+,;=-._~"
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
# Tab, CR and LF are removed by urlsplit (as browsers do); other controls mean garbage.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def canonicalize_url(url: str) -> str | None:
    """Return the canonical form of an http(s) URL, or None when it is unusable."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > 8192 or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            return None
        host = _canonical_host(parts.hostname or "", parts.netloc)
        if host is None:
            return None
        port = parts.port
    except (ValueError, UnicodeError):
        return None
    netloc = (
        host if port is None or port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"
    )
    path = parts.path
    if netloc in ("www.google.com", "google.com") and path.startswith("/amp/s/"):
        return canonicalize_url("https://" + path[len("/amp/s/") :] + _join_query(parts.query))
    query = _canonical_query(parts.query)
    return f"{scheme}://{netloc}{_canonical_path(path)}" + (f"?{query}" if query else "")


def _join_query(query: str) -> str:
    return f"?{query}" if query else ""


def _canonical_host(hostname: str, netloc: str) -> str | None:
    """Lower-cased, IDNA-encoded host with mobile/AMP prefixes stripped; None if not a host."""
    if _CONTROL_OR_SPACE.search(netloc):
        return None
    host = hostname.rstrip(".")
    if not host:
        return None
    if ":" in host:  # IPv6 literal (urlsplit already removed the brackets)
        return f"[{ipaddress.IPv6Address(host).compressed}]"
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    host = host.lower()
    if not _HOST_LABELS.fullmatch(host):
        return None
    if host.rsplit(".", 1)[1].isdigit():
        # Numeric top label: only a dotted-quad IPv4 address is a host.
        return str(ipaddress.IPv4Address(host))
    stripped = True
    while stripped:
        stripped = False
        for prefix in _MOBILE_PREFIXES:
            rest = host[len(prefix) :]
            if host.startswith(prefix) and "." in rest:
                host, stripped = rest, True
                break
    return host


def _canonical_path(path: str) -> str:
    path = _normalise_escapes(path, _PATH_SAFE)
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue  # empty segments are the duplicate slashes
        if segment == "..":
            if segments:
                segments.pop()
        elif segment.lower() != "amp":
            segments.append(segment)
    if segments and segments[-1].lower().endswith(".amp.html"):
        segments[-1] = segments[-1][: -len(".amp.html")] + ".html"
    return "/" + "/".join(segments)


def _canonical_query(query: str) -> str:
    kept: list[str] = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        name = unquote(key.replace("+", " ")).strip().lower()
        if name in TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES):
            continue
        if name == "amp" or (name == "outputtype" and value.lower() == "amp"):
            continue
        kept.append(_normalise_escapes(piece, _QUERY_SAFE))
    kept.sort()
    return "&".join(kept)


def _normalise_escapes(text: str, safe: str) -> str:
    """One spelling per character: %xx upper-case, unreserved decoded, unsafe encoded."""
    if "%" in text:
        text = _BAD_PERCENT.sub("%25", text)
        text = _ESCAPE.sub(_fix_escape, text)
    return quote(text, safe=safe)


def _fix_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()
