"""Decoding a fetched page: bytes to text, whatever charset the portal forgot to declare."""
from __future__ import annotations

import re

from w3lib.encoding import html_body_declared_encoding, html_to_unicode


def decode_html(body: bytes | str, content_type: str | None = None) -> str:
    """Page text from raw bytes: BOM, then HTTP header, then <meta>, then detection.

    VSB servers send ``text/html`` without a charset and some portals are GBK/GB18030,
    so the <meta> declaration and a GB18030 fallback matter more than the header.
    """
    if isinstance(body, str):
        return body.lstrip("\ufeff")
    declared = html_body_declared_encoding(body)
    if declared and declared.lower() in ("gb2312", "gbk"):
        declared = "gb18030"  # a superset: GB2312/GBK pages routinely contain GB18030 characters
    _, text = html_to_unicode(
        content_type or (f"text/html; charset={declared}" if declared else None),
        body,
        auto_detect_fun=_guess_encoding,
    )
    return text.lstrip("\ufeff")


def _guess_encoding(body: bytes) -> str:
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


_REPLACEMENT = re.compile("\ufffd")


def looks_misdecoded(text: str) -> bool:
    """True when decoding left replacement characters: the page is mis-encoded or truncated."""
    return len(_REPLACEMENT.findall(text)) > 3
