"""Field readers shared by the VSB rules and the generic heuristics: info line, credits, media."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree
from parsel import Selector

from newscrawl.extract.credits import ROLES, merge_credits, parse_credits
from newscrawl.extract.dates import find_date
from newscrawl.extract.text import normalise_line, original_url, text_lines
from newscrawl.items import Attachment, Image


class ExtractionError(ValueError):
    """The page is not an article this extractor understands (recorded as a failure)."""


@dataclass
class Reading:
    """What one page says, as a set of rules (a CMS family's, or the generic heuristics) read it;
    `newscrawl.extract.article` turns every reading into an Article in one place."""

    title: str
    source: str
    published_raw: str
    lines: list[str]  # the body's text, line by line
    body_copy: object  # the body element, a copy with credits lines taken out, for clean HTML
    credits: dict[str, list[str]]
    images: list[Image]
    attachments: list[Attachment]
    column: str = ""  # what the page itself says (breadcrumb), if anything
    rules: str = "vsb"  # vsb | webplus | generic

SOURCE_LABELS = ("来源", "稿件来源", "信息来源", "文章来源", "新闻来源", "供稿单位")
DATE_LABELS = ("日期", "发布日期", "发布时间", "时间", "更新时间", "发表时间", "发稿时间")
COUNTER_LABELS = ("浏览次数", "浏览量", "浏览", "点击率", "点击数", "点击量", "点击", "阅读", "阅读量", "阅读次数", "访问量")
# "label:" for the labels an info line prints. Known labels only, longest first: the
# counter's label often follows a value with no space ("作者：研招办浏览次数："), so a
# generic "CJK run before a colon" would eat the end of the value.
_LABEL = re.compile(
    "(%s)\\s*[:：]" % "|".join(map(re.escape, sorted({*SOURCE_LABELS, *DATE_LABELS, *COUNTER_LABELS, *ROLES}, key=len, reverse=True)))
)
_ATTACHMENT = re.compile(r"download\.jsp|\.(?:pdf|docx?|xlsx?|pptx?|zip|rar|7z|wps|txt)(?:$|\?)", re.I)
_CENTERED = re.compile(r"text-align\s*:\s*center", re.I)


def meta(sel: Selector, name: str) -> str:
    values = _META(sel.root, name=name.lower())
    return normalise_line(values[0] if values else "")


# Compiled once; the name is a variable, so a quote in it cannot break the expression.
_META = etree.XPath("//meta[translate(@name,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')=$name]/@content")


def head_lines(root_el, body_el) -> list[str]:
    """Text lines of the article root before its body: the title and the info line."""
    head = copy.deepcopy(root_el)
    marker = None
    for el, orig in zip(head.iter(), root_el.iter()):
        if orig is body_el:
            marker = el
            break
    if marker is not None:
        # Everything from the body on is not "head": cut it and all that follows.
        node = marker
        while node is not None and node is not head:
            parent = node.getparent()
            for sib in list(node.itersiblings()):
                parent.remove(sib)
            node.tail = None
            parent.remove(node) if node is marker else None
            node = parent
    return text_lines(head)


def info_fields(lines: list[str]) -> dict:
    """Source, date and credits from the "label: value" pairs of the info line(s)."""
    fields: dict = {}
    credits: dict[str, list[str]] = {}
    for line in lines:
        labels = list(_LABEL.finditer(line))
        before = line[: labels[0].start()] if labels else line
        if "date" not in fields and find_date(before):
            fields["date"] = find_date(before)
        for m, nxt in zip(labels, labels[1:] + [None]):
            label, value = m.group(1), line[m.end() : nxt.start() if nxt else len(line)].strip()
            if label in SOURCE_LABELS and "source" not in fields:
                fields["source"] = value
            elif label in DATE_LABELS and "date" not in fields and find_date(value):
                fields["date"] = find_date(value)
            elif label in ROLES and value:
                found = parse_credits(f"{label}：{value}")
                if found:
                    credits = merge_credits(credits, found)
    fields["credits"] = credits
    return fields


def body_lines(body_el) -> tuple[list[str], dict[str, list[str]], object]:
    """The body's reader lines without credit lines, the credits they held, and the cleaned copy."""
    body_copy = copy.deepcopy(body_el)
    credits = drop_credit_blocks(body_copy)
    lines = []
    for line in text_lines(body_copy):
        found = parse_credits(line)
        if found:
            credits = merge_credits(credits, found)
        else:
            lines.append(line)
    return lines, credits, body_copy


def drop_credit_blocks(body) -> dict[str, list[str]]:
    """Remove blocks that hold only credit lines; return the credits they held."""
    credits: dict[str, list[str]] = {}
    # A line is read again in every block around it: each is parsed once, and a block is
    # given up at its first line that is not a credit.
    parsed_lines: dict[str, dict] = {}

    def parsed(line: str) -> dict:
        if line not in parsed_lines:
            parsed_lines[line] = parse_credits(line)
        return parsed_lines[line]

    for el in reversed(list(body.iter())):
        if (el is body or not isinstance(el.tag, str) or el.getparent() is None
                or next(el.iterdescendants("img"), None) is not None):
            continue
        lines = text_lines(el)
        if lines and all(parsed(line) for line in lines):
            credits = merge_credits(*(parsed(line) for line in lines), credits)
            el.drop_tree()
    return credits


def images(body, base_url: str) -> list[Image]:
    images, seen = [], set()
    for img in body.iter("img"):
        src = original_url(img, ("tppabs", "src", "orisrc"), base_url)
        if not src or src in seen:
            continue
        seen.add(src)
        images.append(Image(url=src, caption=_caption(img, body)))
    return images


def _caption(img, body) -> str:
    """A caption is a figcaption, or a short centred block right after the image's block."""
    fig = next((a for a in img.iterancestors("figure")), None)
    if fig is not None:
        cap = fig.find(".//figcaption")
        if cap is not None:
            return normalise_line(cap.text_content())
    block = img
    while block.getparent() is not None and block.getparent() is not body:
        block = block.getparent()
    nxt = block.getnext()
    while nxt is not None and not normalise_line(nxt.text_content()) and not nxt.xpath(".//img"):
        nxt = nxt.getnext()
    if nxt is None or nxt.xpath(".//img"):
        return ""
    centred = _CENTERED.search(nxt.get("style", "")) or nxt.get("align", "").lower() == "center"
    centred = centred or any(_CENTERED.search(e.get("style", "")) for e in nxt.iter() if isinstance(e.tag, str))
    text = normalise_line(nxt.text_content())
    if _is_signature(nxt, text):
        return ""
    return text if centred and len(text) <= 120 and not parse_credits(text) else ""


_ISSUER = re.compile(r"(?:办公室|学院|大学|学校|考点|中心|委员会|研究院|研究所|学生科|[处部科办会院])$")


def _is_signature(block, text: str) -> bool:
    """The notice's signature (issuer, then perhaps the date) closing the body: centred like
    a caption, but nothing after it except the date."""
    if not _ISSUER.search(text):
        return False
    for later in block.itersiblings():
        rest = normalise_line(later.text_content())
        if later.xpath(".//img") or (rest and not find_date(rest)):
            return False
    return True


def attachments(root_el, base_url: str) -> list[Attachment]:
    found, seen = [], set()
    for a in root_el.iter("a"):
        href = a.get("href") or ""
        if not _ATTACHMENT.search(href) and not _ATTACHMENT.search(a.get("tppabs") or ""):
            continue
        url = original_url(a, ("tppabs", "href"), base_url)
        if url and url not in seen:
            seen.add(url)
            found.append(Attachment(url=url, name=normalise_line(a.text_content())))
    return found
