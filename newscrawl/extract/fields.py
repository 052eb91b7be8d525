"""Field readers shared by the VSB rules and the generic heuristics: info line, credits, media."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree
from parsel import Selector

from newscrawl.extract.credits import ROLES, find_byline, merge_credits, parse_credits
from newscrawl.extract.dates import find_date
from newscrawl.extract.text import normalise_line, original_url, sourced_lines, text_lines
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
# Who put the article on the site (WebPlus's 发布者, its .arti_publisher): the source when
# the page names no 来源.
PUBLISHER_LABELS = ("发布者", "发布单位")
DATE_LABELS = ("日期", "发布日期", "发布时间", "时间", "更新时间", "发表时间", "发稿时间")
COUNTER_LABELS = ("浏览次数", "浏览量", "浏览", "点击率", "点击数", "点击量", "点击", "阅读", "阅读量", "阅读次数", "访问量")
# "label:" for the labels an info line prints. Known labels only, longest first: the
# counter's label often follows a value with no space ("作者：研招办浏览次数："), so a
# generic "CJK run before a colon" would eat the end of the value.
_LABEL = re.compile(
    "(%s)\\s*[:：]" % "|".join(map(re.escape, sorted({*SOURCE_LABELS, *PUBLISHER_LABELS, *DATE_LABELS, *COUNTER_LABELS, *ROLES}, key=len, reverse=True)))
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
    # A javascript: link in the head is a control (设置, 打印, 关闭窗口), never a value: after
    # an empty "作者：" it would read as the author.
    for link in [a for a in head.iter("a") if (a.get("href") or "").strip().lower().startswith("javascript:")]:
        link.drop_tree()
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
            elif label in PUBLISHER_LABELS and value:
                fields.setdefault("publisher", value)
            elif label in DATE_LABELS and "date" not in fields and find_date(value):
                fields["date"] = find_date(value)
            elif label in ROLES and value:
                found = parse_credits(f"{label}：{value}")
                if found:
                    credits = merge_credits(credits, found)
    if "publisher" in fields:
        fields.setdefault("source", fields.pop("publisher"))
    fields["credits"] = credits
    return fields


@dataclass
class BodyLine:
    """One reader's line of the body and the text slots of the tree it was read from (an
    element's ``text`` or ``tail``), so what is cut from body_text is cut from body_html too."""

    text: str
    slots: list[tuple[object, str]]
    row: bool = False  # a table row: its cells joined by tabs, cut whole or not at all

    def cut(self, start: int = 0, end: int | None = None) -> None:
        """Take ``text[start:end]`` out of the tree (the whole line by default)."""
        end = len(self.text) if end is None else end
        if (start, end) == (0, len(self.text)):
            for el, attr in self.slots:
                setattr(el, attr, None)
            return
        raws = [getattr(el, attr) or "" for el, attr in self.slots]
        raw = "".join(raws)
        index = None if self.row else _raw_index(raw, self.text)
        if index is None or start >= end:
            return  # the tree does not read as the line (or is a row of cells): leave it rather than cut blind
        lo, hi = index[start], index[end - 1] + 1
        # A space at either end of the cut stands for a whole run of blanks in the tree.
        while self.text[start] == " " and lo > 0 and _blank(raw[lo - 1]):
            lo -= 1
        while self.text[end - 1] == " " and hi < len(raw) and _blank(raw[hi]):
            hi += 1
        at = 0
        for (el, attr), raw in zip(self.slots, raws):
            a, b = max(lo - at, 0), min(hi - at, len(raw))
            if a < b:
                setattr(el, attr, raw[:a] + raw[b:])
            at += len(raw)


def _raw_index(raw: str, line: str) -> list[int] | None:
    """For each character of ``line`` (``raw`` as normalise_line reads it), where it stands in ``raw``."""
    index, chars, space = [], [], False
    for i, ch in enumerate(raw):
        if ch in _ZERO_WIDTH:
            continue
        if ch.isspace():
            if not space:
                chars.append(" ")
                index.append(i)
            space = True
        else:
            chars.append(ch)
            index.append(i)
            space = False
    while chars and chars[0] == " ":
        chars.pop(0)
        index.pop(0)
    while chars and chars[-1] == " ":
        chars.pop()
        index.pop()
    return index if "".join(chars) == line else None


_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def _blank(ch: str) -> bool:
    return ch.isspace() or ch in _ZERO_WIDTH


def body_line_slots(root) -> list[BodyLine]:
    """``text_lines(root)`` as BodyLines: each with the slots it was read from."""
    return [BodyLine(text, slots, row="\t" in text) for text, slots in sourced_lines(root)]


def read_body(body_el) -> tuple[list[BodyLine], dict[str, list[str]], object]:
    """The body's lines without its credit lines, the credits they held, and the copy of the
    body they were cut from (blocks of credits dropped, credit lines cut out of mixed ones)."""
    body_copy = copy.deepcopy(body_el)
    credits = drop_credit_blocks(body_copy)
    lines = []
    for line in body_line_slots(body_copy):
        found = parse_credits(line.text)
        if found:
            credits = merge_credits(credits, found)
            line.cut()
        else:
            lines.append(line)
    return lines, credits, body_copy


def cut_bylines(lines: list[BodyLine]) -> tuple[list[BodyLine], dict[str, list[str]]]:
    """The body without the bracketed bylines opening or closing it, and their credits:
    本网讯（记者 李四）5月19日，… and …。（通讯员 张三） lose the bracket, in text and tree."""
    credits: dict[str, list[str]] = {}
    for index, where in ((0, "start"), (-1, "end")):
        if not lines:
            break
        line = lines[index]
        found, start, end = find_byline(line.text, where)
        if not found:
            continue
        credits = merge_credits(credits, found)
        line.cut(start, end)
        rest = (line.text[:start] + line.text[end:]).strip()
        if rest:
            lines[index] = BodyLine(rest, line.slots, line.row)
        else:
            lines.pop(index)
    return lines, credits


def body_lines(body_el) -> tuple[list[str], dict[str, list[str]], object]:
    """The body's reader lines without credit lines and bylines, their credits, and the cleaned copy."""
    lines, credits, body_copy = read_body(body_el)
    lines, bylines = cut_bylines(lines)
    return [line.text for line in lines], merge_credits(credits, bylines), body_copy


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
        if not src or src in seen or _FILE_ICON.search(src):
            continue
        seen.add(src)
        images.append(Image(url=src, caption=_caption(img, body)))
    return images


# The icon a CMS's editor puts before an attachment's link (VSB's fileTypeImages/icon_rar.gif,
# UEditor's themes/default/images/icon_doc.gif, under /_ueditor/ on WebPlus): the attachment's,
# not a picture of the article.
_FILE_ICON = re.compile(r"/fileTypeImages/icon_\w+\.gif$|/_?ueditor/themes/default/images/icon_\w+\.gif$", re.I)


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
