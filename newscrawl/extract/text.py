"""HTML fragments to reader's text lines and to clean HTML: the body's two stored forms."""
from __future__ import annotations

import copy
import re
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree

BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table tbody thead tfoot tr section article "
    "blockquote pre center figure figcaption hr header footer aside address form caption".split()
)
SKIP_TAGS = frozenset("script style noscript template iframe object embed select option button input textarea head title".split())
# A box the template hides (a second reviewer's 编辑/责任编辑 pair, a share dialog) is no
# text a reader sees.
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)


def hidden(el, top=None) -> bool:
    """Is ``el`` styled out of sight: display:none on it, or (given ``top``) on a box around
    it up to ``top``?"""
    for node in (el, *(el.iterancestors() if top is not None else ())):
        if _HIDDEN.search(node.get("style") or ""):
            return True
        if node is top:
            break
    return False


# A search that finds nothing is several times cheaper than str.translate over Chinese
# text, and normalise_line runs on every text node of every page.
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def normalise_line(text: str) -> str:
    """One line as a reader sees it: no zero-width characters, single spaces, trimmed.

    (str.split() splits on exactly the characters that are blanks here: \\s, U+3000, U+00A0.)
    """
    return " ".join(_ZERO_WIDTH_RE.sub("", text).split())


def _is_element(node) -> bool:
    return isinstance(node.tag, str)


def _tag(node) -> str:
    # Word pastes bring namespaced tags (o:p, v:shape): compare on the local part.
    return node.tag.rsplit(":", 1)[-1].lower() if _is_element(node) else ""


# Where a piece of a line's text stands in the tree: (element, "text" | "tail").
Slot = tuple[object, str]


def text_lines(root) -> list[str]:
    """Text of ``root`` split into lines at block elements and <br>.

    Table rows become one line with the non-empty cells joined by a tab, because a row
    is one statement ("张亮 / 项目 / 一等奖") and splitting it would lose that.
    """
    return _lines(root, None)


def sourced_lines(root) -> list[tuple[str, list[Slot]]]:
    """``text_lines(root)``, each line with the slots it was read from: what cuts a line
    out of the text (a credit, a byline) can cut it out of the tree too."""
    slots: list[list[Slot]] = []
    return list(zip(_lines(root, slots), slots))


def _lines(root, slots: list[list[Slot]] | None) -> list[str]:
    """The one walk behind text_lines and sourced_lines; ``slots`` (when given) gets each
    line's slots. Tracking is skipped when not asked for: this runs on every block of every page."""
    lines: list[str] = []
    buf: list[str] = []
    src: list[Slot] | None = [] if slots is not None else None

    def flush():
        line = normalise_line("".join(buf))
        buf.clear()
        if line:
            lines.append(line)
            if src is not None:
                slots.append(src[:])
        if src is not None:
            src.clear()

    def row(node):
        cells, row_slots = [], []
        for cell in node:
            if _tag(cell) not in ("td", "th"):
                continue
            if src is None:
                cells.append(" ".join(text_lines(cell)))
            else:
                read = sourced_lines(cell)
                cells.append(" ".join(text for text, _ in read))
                row_slots.extend(slot for _, cell_slots in read for slot in cell_slots)
        line = "\t".join(c for c in cells if c)
        if line:
            lines.append(line)
            if src is not None:
                slots.append(row_slots)

    def walk(node):
        tag = _tag(node)
        if not _is_element(node) or tag in SKIP_TAGS:
            return
        if tag == "br":
            flush()
            return
        if tag == "tr":
            flush()
            row(node)
            return
        block = tag in BLOCK_TAGS
        if block:
            flush()
        if node.text:
            buf.append(node.text)
            if src is not None:
                src.append((node, "text"))
        for child in node:
            walk(child)
            if child.tail:
                buf.append(child.tail)
                if src is not None:
                    src.append((child, "tail"))
        if block:
            flush()

    walk(root)
    flush()
    return lines


KEEP_TAGS = frozenset(
    "p br h1 h2 h3 h4 h5 h6 strong b em i u sub sup ul ol li table thead tbody tr td th "
    "img a blockquote figure figcaption pre code".split()
)
KEEP_ATTRS = {"a": ("href",), "img": ("src", "alt"), "td": ("colspan", "rowspan"), "th": ("colspan", "rowspan")}
URL_ATTRS = ("tppabs", "orisrc", "src")
WEB_SCHEMES = ("http", "https")
LINK_SCHEMES = (*WEB_SCHEMES, "mailto")
# What an article's body may hold, whatever clean_html's passes let through: no style,
# no on* handlers, URLs of LINK_SCHEMES only; the content of SKIP_TAGS goes with them.
_SANITISER = nh3.Cleaner(
    tags=KEEP_TAGS | {"div", "span", "hr"},
    clean_content_tags=set(SKIP_TAGS),
    attributes={
        "a": {"href", "title"},
        "img": {"src", "alt", "width", "height"},
        "td": {"colspan", "rowspan"},
        "th": {"colspan", "rowspan"},
    },
    url_schemes=set(LINK_SCHEMES),
    link_rel="noopener",
)


def join_url(base_url: str, value: str) -> str:
    """``value`` resolved against ``base_url``; "" when either is no URL (``http://[x/``, port 99999999)."""
    try:
        url = urljoin(base_url, value)
        urlsplit(url).port  # reading the port is what rejects an out-of-range one
    except ValueError:
        return ""
    return url


def original_url(el, attrs: tuple[str, ...], base_url: str, schemes: tuple[str, ...] = WEB_SCHEMES) -> str:
    """The element's URL, preferring attributes that keep the original over a mirror's rewrite.

    A value that is no URL, or one of a scheme not in ``schemes`` (javascript:, data:), is
    passed over for the next attribute: one bad address costs that address only.
    """
    for attr in attrs:
        value = (el.get(attr) or "").strip()
        if not value or value.startswith("#"):
            continue
        url = join_url(base_url, value)
        # urlsplit drops the tabs and newlines browsers ignore ("java\tscript:") before the scheme is read.
        if url and urlsplit(url).scheme.lower() in schemes:
            return url
    return ""


def clean_html(root, base_url: str) -> str:
    """The body as minimal, safe HTML: structure kept, styles, scripts and Word noise gone."""
    # A copy to change (the page's tree is read again after the body): copied, not written
    # out and parsed again, which cost as much as reading the whole page.
    root = copy.deepcopy(root)
    root.tail = None
    for el in list(root.iter()):
        if not _is_element(el) and el.getparent() is not None:  # comments, processing instructions
            el.drop_tree()
    for el in list(root.iter()):
        if el.getparent() is None:
            continue
        tag = _tag(el)
        if ":" in el.tag:  # Word's o:p, v:shape...: keep their text, lose the tag
            el.drop_tag()
        elif tag in SKIP_TAGS:
            el.drop_tree()
        elif tag == "img":
            src = original_url(el, URL_ATTRS, base_url)
            if not src:
                el.drop_tree()
                continue
            alt = el.get("alt", "")
            el.attrib.clear()
            el.set("src", src)
            if alt:
                el.set("alt", alt)
        elif tag == "a":
            href = original_url(el, ("tppabs", "href"), base_url, LINK_SCHEMES)
            el.attrib.clear()
            if href:
                el.set("href", href)
        elif tag in KEEP_TAGS:
            keep = {k: el.get(k) for k in KEEP_ATTRS.get(tag, ()) if el.get(k)}
            el.attrib.clear()
            el.attrib.update(keep)
        elif tag == "div":
            el.tag = "p"
            el.attrib.clear()
        else:
            el.drop_tag()
    for el in list(root.iter("p", "strong", "b", "em", "i", "u", "li")):
        if el.getparent() is not None and not len(el) and not normalise_line(el.text_content()):
            el.drop_tree()
    inner = (root.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return sanitise(re.sub(r"\n\s*\n+", "\n", _ZERO_WIDTH_RE.sub("", inner)).strip())


def sanitise(html: str) -> str:
    """``html`` with nothing a browser would run: ammonia's parser and the allow-list above.

    The passes of clean_html shape the body; this has the last word on safety, so a gap
    in them (a tag, an attribute, a URL scheme spelled some new way) is no hole.
    """
    return _SANITISER.clean(html)
