"""Body decoding: declared, mislabelled and undeclared Chinese encodings come out right."""

from __future__ import annotations

import codecs
import random

import pytest

from groundswell.collect.charset import decode_body, normalise_encoding
from groundswell.collect.fetcher import FetchPolicy, PoliteFetcher
from tests.support.http_server import LocalHTTPServer, Reply

# 朱镕基: 镕 is in GBK but not in GB2312, the usual trap for pages labelled gb2312.
GBK_ONLY = "朱镕基总理答记者问"
NEWS = "市政府就群众反映的供水问题召开新闻发布会，回应社会关切。"
POLICY = FetchPolicy(per_host_interval=0.0, allowed_hosts=frozenset({"127.0.0.1"}))


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("big5", "big5hkscs"),
        ("UTF8", "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("x-no-such-charset", None),
        ("", None),
    ],
)
def test_labels_map_to_supersets(label: str, codec: str | None):
    assert normalise_encoding(label) == codec


def test_gb2312_label_decodes_gbk_characters():
    text, encoding = decode_body(GBK_ONLY.encode("gbk"), "text/html; charset=gb2312")
    assert (text, encoding) == (GBK_ONLY, "gb18030")


def test_big5_label_decodes_hkscs_characters():
    body = "佢哋嘅新聞稿".encode("big5hkscs")  # Cantonese characters outside plain Big5
    assert decode_body(body, 'text/html; charset="big5"') == ("佢哋嘅新聞稿", "big5hkscs")


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")],
)
def test_bom_beats_a_wrong_header(bom: bytes, codec: str):
    body = bom + NEWS.encode(codec)
    assert decode_body(body, "text/html; charset=gbk") == (NEWS, codec)


def test_wrong_header_charset_falls_back_to_detection():
    text, encoding = decode_body(NEWS.encode("gbk"), "text/html; charset=utf-8")
    assert (text, encoding) == (NEWS, "gb18030")


@pytest.mark.parametrize(
    "head",
    [
        b'<meta charset="gbk">',
        b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
        b'<?xml version="1.0" encoding="GB2312"?>',
    ],
)
def test_in_document_declaration_is_used(head: bytes):
    body = head + NEWS.encode("gbk")
    text, encoding = decode_body(body, "text/html")
    assert text.endswith(NEWS) and encoding == "gb18030"


def test_undeclared_gbk_is_detected():
    assert decode_body((NEWS * 3).encode("gbk"), None) == (NEWS * 3, "gb18030")


def test_never_raises_on_garbage():
    noise = random.Random(7).randbytes(5000)
    text, encoding = decode_body(noise, "text/html; charset=utf-8")
    assert isinstance(text, str) and encoding
    assert decode_body(b"", None) == ("", "utf-8")


async def test_gbk_page_through_the_fetcher(http_server: LocalHTTPServer):
    page = f'<html><head><meta charset="gb2312"><title>{GBK_ONLY}</title></head>'
    page += f"<body><p>{NEWS}</p></body></html>"
    http_server.route("/gbk", Reply(200, page.encode("gbk"), {"Content-Type": "text/html"}))
    http_server.route(
        "/mislabelled",
        Reply(200, page.encode("gbk"), {"Content-Type": "text/html; charset=utf-8"}),
    )
    async with PoliteFetcher(POLICY) as fetcher:
        declared = await fetcher.fetch(http_server.url("/gbk"))
        mislabelled = await fetcher.fetch(http_server.url("/mislabelled"))
    assert declared.text == page and declared.encoding == "gb18030"
    # The header lies (utf-8); strict decoding fails, so the <meta> declaration wins.
    assert mislabelled.text == page and mislabelled.encoding == "gb18030"
