"""Reading a fetched page: bytes to text whatever the charset, text to a tree whatever the nesting."""
from __future__ import annotations

import functools
import re

from lxml import etree, html as lxml_html
from parsel.csstranslator import css2xpath
from w3lib.encoding import html_body_declared_encoding, html_to_unicode

from newscrawl.extract.text import BLOCK_TAGS


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


# Nesting a reader walks without trouble. libxml2 stops reading a page deeper than 256
# levels (the rest of the page is lost); a Word paste's thousands of unclosed <font>s
# get there, so such a page is read again with the excess tags taken out. Formatting
# tags give up their place first, so the paragraphs inside such a pile keep theirs.
MAX_DEPTH = 200
MAX_INLINE_DEPTH = 100
_BLOCKS = BLOCK_TAGS | {"html", "body", "td", "th"}
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Elements whose content is text, not tags; comments likewise. A tag ends at the next "<"
# at the latest, so no search runs to the end of the page for each "<" of a hostile one.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title"})
_TAG = re.compile(r"<!--|<(/?)([a-zA-Z][^\s/<>]*)[^<>]*>")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_html(text: str):
    """The page's element tree (lxml.html), comments left out, whatever its nesting.

    A page nested deeper than libxml2 reads is parsed again with the tags that open too
    deep removed (their text kept), so no text is lost to depth and no reader recurses
    without bound.
    """
    root, too_deep = _parse(text)
    if too_deep:
        root, _ = _parse(flatten(text))
    return root


def _parse(text: str):
    parser = lxml_html.HTMLParser(recover=True, encoding="utf-8", remove_comments=True, remove_pis=True)
    # Control characters lxml would refuse to give back or to set as a value.
    body = _CONTROL.sub("", text).encode("utf-8", "replace")
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:  # nothing but blanks and comments
        root = etree.fromstring(b"<html/>", parser=parser)
    return root, any("Excessive depth" in error.message for error in parser.error_log)


def flatten(text: str) -> str:
    """``text`` without the tags that open too deep (``MAX_DEPTH`` levels, ``MAX_INLINE_DEPTH``
    for formatting tags), nor their end tags."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open elements: (name, kept)
    open_names: dict[str, int] = {}
    kept_depth = 0
    pos = 0  # what is before it is in ``out``
    at = 0  # where the search for the next tag starts
    text_since_break = False
    while m := _TAG.search(text, at):
        text_since_break = text_since_break or bool(text[at : m.start()].strip())
        at = m.end()
        if m.group(0) == "<!--":
            at = _skip_to(text, at, "-->")
            continue
        closing, name = m.group(1), m.group(2).lower()
        if name in _VOID or m.group(0).endswith("/>"):
            continue
        if closing:
            if not open_names.get(name):
                continue  # a stray end tag: the parser ignores it too
            while True:  # an end tag closes what was left open inside its element
                opened, kept = stack.pop()
                open_names[opened] -= 1
                kept_depth -= kept
                if opened == name:
                    break
        else:
            # A script kept whatever the depth: without its tag, its code would read as text.
            kept = name in _RAW_TEXT or kept_depth < (MAX_DEPTH if name in _BLOCKS else MAX_INLINE_DEPTH)
            stack.append((name, kept))
            open_names[name] = open_names.get(name, 0) + 1
            kept_depth += kept
            if name in _RAW_TEXT:
                at = _skip_to(text, at, f"</{name}")
        if not kept:
            out.append(text[pos : m.start()])
            # A block's edges stay line breaks between texts, so one does not run into the next.
            if name in _BLOCKS and text_since_break:
                out.append("<br>")
                text_since_break = False
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _skip_to(text: str, at: int, end: str) -> int:
    """Where ``end`` (in any case) first stands from ``at`` on; the end of ``text`` if nowhere."""
    found = re.compile(re.escape(end), re.I).search(text, at)
    return found.start() if found else len(text)


@functools.lru_cache(maxsize=512)
def css_xpath(query: str) -> etree.XPath:
    """``query``, a CSS selector of elements (no ``::text``), as an XPath compiled once:
    parsel compiles its XPath again on every call, for every page."""
    return etree.XPath(css2xpath(query))
