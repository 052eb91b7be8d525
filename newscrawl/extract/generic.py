"""Heuristic extraction for pages the VSB rules cannot read: text density, title, nearby date."""
from __future__ import annotations

import re

from newscrawl.extract.credits import merge_credits, parse_credits
from newscrawl.extract.dates import find_date, fits_url_day
from newscrawl.extract.fields import (
    ExtractionError,
    Reading,
    attachments,
    cut_bylines,
    head_lines,
    images,
    info_fields,
    read_body,
)
from newscrawl.extract.page import parse_html
from newscrawl.extract.text import BLOCK_TAGS, SKIP_TAGS, hidden, normalise_line, text_lines

# What marks a page as VSB/博达 output, whatever its template looks like.
VSB_MARKERS = (
    re.compile(r"""class=["']?v_news_content"""),
    re.compile(r"""id=["']?vsb_content"""),
    re.compile(r"_showDynClicks\("),
    re.compile(r"""href=["'][^"']*/info/\d+/\d+\.htm"""),
    re.compile(r"Announced by Visual SiteBuilder"),
    re.compile(r"/system/resource/(?:js|style|code)/"),
)
# Containers of navigation, not of the article: never the body, never the title.
_CHROME = re.compile(
    r"nav|menu|foot|sidebar|side-bar|site-header|masthead|breadcrumb|crumb|copyright|share|comment|related|dqwz|posi", re.I
)
# <header> is left out: an article's own header holds its title and date.
_CHROME_TAGS = frozenset({"nav", "footer", "aside"})
_PARAGRAPH_TAGS = frozenset({"p", "pre", "blockquote", "li", "td", "div", "section"})
_PUNCT = re.compile(r"[，。；、！？,.;!?]")
_TITLE_SPLIT = re.compile(r"\s*(?:[-_|｜–—]+)\s*")
# Lines around an article that are page furniture, not text.
_FURNITURE = re.compile(r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页|返回|分享到?|打印|关闭|【关闭】|浏览|阅读|点击|字号)[:：\s]?")
# What marks a page as WebPlus/苏迪 (sudy) output.
WEBPLUS_MARKERS = (
    re.compile(r"""class=["']?[^"'>]*\bwp_articlecontent"""),
    re.compile(r"""class=["']?[^"'>]*\bWP_VisitCount"""),
    re.compile(r"/_visitcountdisplay\?"),
    re.compile(r"sudy-wp-|jquery\.sudy\.wp\.|/_js/_portletPlugs/"),
    re.compile(r"""portletmode=["']?simpleArticleAttri|id=["']?wp_(?:news|paging)_w\d"""),
    re.compile(r"/_upload/article/|/_css/_system/system\.css"),
)
# Heading tags, ranked: of two equally near the body, h1 is the article's title, h3 its subtitle.
_HEADINGS = {"h1": 6, "h2": 5, "h3": 4, "h4": 3, "h5": 2, "h6": 1}
_TITLE_CLASS = re.compile(r"title|biaoti|bt\b", re.I)
# A <title> that is the site's name alone (江北理工大学新闻网, 某某学院): no article is named so.
_SITE_NAME = re.compile(r"(?:新闻网|新闻中心|网站|官网|门户|首页|主页|信息网|大学|学院|学校|University|College)$", re.I)
# Site furniture told by what it says, for footers with no class or id to give them away
# (a bare <table> of 新闻热线…版权声明… rows). One strong mark, or two of the contact kind.
_BOILERPLATE = re.compile(
    r"版权所有|版权声明|Copyright|©|ICP[备证]|新闻热线|投稿邮箱|技术支持|网站地图|主办单位|建议使用.{0,12}浏览器|分辨率", re.I
)
# Marks no article's closing line carries: a body ending in one has swallowed the footer.
_FOOTER_LINE = re.compile(r"版权所有|版权声明|Copyright|©|ICP[备证]|新闻热线|投稿邮箱", re.I)
_CONTACT = re.compile(r"地址[:：]|邮编[:：]|邮政编码|电话[:：]|传真[:：]|E-?mail[:：]|邮箱[:：]", re.I)
MIN_BODY_CHARS = 40  # below this there is no article to speak of


def is_vsb(text: str) -> bool:
    """True when the page carries at least two of VSB's markers (one can be a coincidence)."""
    return sum(bool(m.search(text)) for m in VSB_MARKERS) >= 2


def is_webplus(text: str) -> bool:
    """True when the page carries at least two of WebPlus's markers."""
    return sum(bool(m.search(text)) for m in WEBPLUS_MARKERS) >= 2


def detect_cms(text: str) -> str:
    """The CMS family whose output the page is, by its markers: vsb, webplus, or generic.

    A page with markers of both (a WebPlus page linking to a VSB site's articles) goes to
    the family with more of them; on a tie, to VSB, the family most portals run.
    """
    vsb = sum(bool(m.search(text)) for m in VSB_MARKERS)
    webplus = sum(bool(m.search(text)) for m in WEBPLUS_MARKERS)
    if webplus >= 2 and webplus > vsb:
        return "webplus"
    if vsb >= 2:
        return "vsb"
    return "webplus" if webplus >= 2 else "generic"


def extract_fields(text: str, url: str) -> Reading:
    """A page read by heuristics alone; raises ExtractionError without an article.

    The body is the block whose paragraphs carry the most text with the fewest links; the
    title is the heading that the page's <title> names; date, source and credits come from
    the lines between title and body, then from the body's last lines.
    """
    doc = parse_html(text)
    page_title, raw_meta_date, meta_source = _head_facts(doc)
    for el in list(doc.iter()):
        if el.getparent() is not None and (not isinstance(el.tag, str) or el.tag in SKIP_TAGS or hidden(el)):
            el.drop_tree()
    body_el = densest_block(doc)
    if body_el is None:
        raise ExtractionError("no plausible article (no block of text)")
    title_el, title = _title(doc, body_el, page_title)
    if title_el is None:
        title_el, title, body_el = _title_inside(doc, body_el, page_title, title)
    between = _lines_between(doc, title_el, body_el)
    fields = info_fields(between)
    body, credits, body_copy = read_body(body_el)
    kept = []
    for line in body:
        if _FURNITURE.match(line.text):
            line.cut()
        else:
            kept.append(line)
    while kept and _FOOTER_LINE.search(kept[-1].text):
        kept.pop().cut()  # the footer inside the body's own container
    kept, bylines = cut_bylines(kept)
    lines = [line.text for line in kept]
    if sum(len(line) for line in lines) < MIN_BODY_CHARS:
        raise ExtractionError("no plausible article (too little text)")
    raw_date = raw_meta_date or fields.get("date") or _date_in_body(lines, url) or ""
    return Reading(
        title=title,
        source=meta_source or fields.get("source", ""),
        published_raw=raw_date,
        lines=lines,
        body_copy=body_copy,
        credits=merge_credits(fields["credits"], bylines, credits, _credits_after(body_el)),
        images=images(body_copy, url),
        attachments=attachments(body_el, url),
        rules="generic",
    )


def _date_in_body(lines: list[str], url: str) -> str | None:
    """A date printed at the body's edges (a notice's signature, a dateline), when the page
    labels none; on a WebPlus URL only one that fits the day the URL says the article was
    made (see fits_url_day): a deadline or an event in the text is no publication date."""
    raw = find_date("\n".join(lines[:2] + lines[-3:]))
    return raw if raw and fits_url_day(raw, url) else None


def _credits_after(body_el, levels: int = 3, max_lines: int = 6) -> dict[str, list[str]]:
    """Credit lines just after the body, outside its container (a table row of 编辑：… 审核：…).

    Looks at the first few lines that follow the body and its near ancestors, up to
    navigation (an article's "foot" block is no site footer, so classes do not stop it);
    only a line that is wholly credits counts.
    """
    credits: dict[str, list[str]] = {}
    seen, node = 0, body_el
    for _ in range(levels):
        for sib in node.itersiblings():
            if not isinstance(sib.tag, str):
                continue
            if sib.tag in _CHROME_TAGS or _link_density(sib) > 0.5:
                return credits
            for line in text_lines(sib):
                found = parse_credits(line)
                if found:
                    credits = merge_credits(credits, found)
                seen += 1
                if seen >= max_lines:
                    return credits
        node = node.getparent()
        if node is None or node.tag == "body":
            break
    return credits


def _is_chrome(el) -> bool:
    for node in [el, *el.iterancestors()]:
        if node.tag in _CHROME_TAGS:
            return True
        if _CHROME.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    return False


def densest_block(root):
    """The element holding the article's paragraphs (readability-style scoring).

    Each paragraph scores by its length and punctuation, credited to its parent and half
    to its grandparent; a block's score is then discounted by how much of its text is links.
    """
    scores: dict = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag not in _PARAGRAPH_TAGS | {"article", "main", "body"}:
            continue
        if el.tag in ("div", "section", "article", "main", "body", "td") and _has_block_child(el):
            # Text standing loose in a container (spans and <br>s beside blocks) is a
            # paragraph of the container itself; so in a layout <td>, not its whole text.
            text, parent = normalise_line(_loose_text(el)), el
        elif el.tag in _PARAGRAPH_TAGS:
            text, parent = normalise_line(el.text_content()), el.getparent()
        else:
            continue
        if parent is None or len(text) < 10 or _link_density(el) > 0.5 or _is_chrome(el) or is_boilerplate(text):
            continue
        score = 1 + len(_PUNCT.findall(text)) + min(len(text) / 50, 5)
        scores[parent] = scores.get(parent, 0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + score / 2
    if not scores:
        return None
    best = max(scores, key=lambda el: scores[el] * (1 - _link_density(el)))
    return best


def is_boilerplate(text: str) -> bool:
    """True for a site footer's line (copyright, hotline, address block), whatever its markup."""
    return bool(_BOILERPLATE.search(text)) or len(_CONTACT.findall(text)) >= 2


def _loose_text(el) -> str:
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _has_block_child(el) -> bool:
    return any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el)


def _link_density(el) -> float:
    if any(a.tag == "a" for a in el.iterancestors()):
        return 1.0  # a list item's title block inside its link
    total = len(normalise_line(el.text_content())) or 1
    linked = sum(len(normalise_line(a.text_content())) for a in el.iter("a"))
    return linked / total


def _head_facts(doc) -> tuple[str, str, str]:
    """What <head> says: the page title (og:title / ArticleTitle first), the date, the source."""
    def first(xpath):
        return next((normalise_line(v) for v in doc.xpath(xpath) if normalise_line(v)), "")

    title = first("//meta[@property='og:title' or @name='ArticleTitle']/@content") or first("//title//text()")
    date = next(
        (find_date(v) for v in doc.xpath(
            "//meta[@property='article:published_time' or @name='PubDate' or @name='publishdate' or @name='pubdate']/@content"
            " | //time/@datetime"
        ) if find_date(v)),
        "",
    )
    return title, date, first("//meta[@name='ContentSource']/@content")


def _title(doc, body_el, page_title: str):
    """The article's heading: the one the <title> names, else the heading nearest the body.

    Templates append the site's name to <title>, and some print the site's name alone
    there: a heading (or the whole <title>) that is only the site's name is no title.
    """
    site = _site_names(doc, page_title)
    if page_title in site:
        page_title = ""
    order = {el: i for i, el in enumerate(doc.iter())}
    candidates = []
    for el in doc.iter("h1", "h2", "h3", "h4", "h5", "h6", "div", "p", "span", "td", "strong"):
        if el.tag not in _HEADINGS and not _TITLE_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}"):
            continue
        if _is_chrome(el) or any(a is body_el for a in el.iterancestors()) or el is body_el:
            continue
        text = _heading_text(el)
        if 4 <= len(text) <= 120 and text not in site and order[el] < order[body_el]:
            candidates.append((el, text))
    named = [(el, text) for el, text in candidates if page_title and (text in page_title or page_title in text)]
    if named:
        return max(named, key=lambda c: len(c[1]))
    if candidates:
        # Nearest: sharing the deepest ancestor with the body, then a heading over a
        # title-classed block, then the last before the body (a column box's heading
        # stands further away than the article's own).
        body_path = {a: depth for depth, a in enumerate(reversed([body_el, *body_el.iterancestors()]))}
        def nearness(c):
            el = c[0]
            common = next((body_path[a] for a in el.iterancestors() if a in body_path), 0)
            return common, _HEADINGS.get(el.tag, 0), order[el]
        return max(candidates, key=nearness)
    parts = [p for p in _TITLE_SPLIT.split(page_title) if p and p not in site]
    return None, (max(parts, key=len) if parts else "")


def _title_inside(doc, body_el, page_title: str, title: str):
    """(title element, title, body) when the densest block holds the article's heading too.

    A short article (a notice that is one table of names, a few lines) gives the density
    score too little text to tell the article's own box from the column box around it
    (breadcrumb, heading, 发布时间 line, text): the winner is that outer box. Then its
    first heading is the title and the body is the block after it that carries most of
    the box's text; a heading that is only a subheading of a long text has no such block
    after it, and the block stays as it was.
    """
    site = _site_names(doc, page_title)
    total = len(normalise_line(body_el.text_content()))
    for el in body_el.iter("h1", "h2", "h3", "h4", "h5", "h6", "div", "p", "span", "td", "strong"):
        if el is body_el or (el.tag not in _HEADINGS and not _TITLE_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}")):
            continue
        text = _heading_text(el)
        if _is_chrome(el) or not 4 <= len(text) <= 120 or text in site or (title and title not in text and text not in title):
            continue
        after = _block_after(el, body_el)
        if after is not None and len(normalise_line(after.text_content())) * 2 >= total:
            return el, text, after
        break  # only the box's first heading can be the article's title
    return None, title, body_el


def _block_after(heading, box):
    """The block after ``heading`` (or after the nearest of its ancestors inside ``box``
    that has following blocks) holding the most text: the article under its title."""
    node = heading
    while node is not box:
        after = [s for s in node.itersiblings() if isinstance(s.tag, str) and normalise_line(s.text_content())]
        if after:
            return max(after, key=lambda s: len(normalise_line(s.text_content())))
        node = node.getparent()
    return None


# A labelled date (时间：2024-11-27, 发布日期: 2024/11/27): a line of the page's facts.
_DATE_LINE = re.compile(r"^\D{0,6}[:：]\s*\d{4}[-/.年]\d{1,2}")


def _heading_text(el) -> str:
    """A title block's text without a child that is its date line: templates put the date
    inside the title's box (<div class="title"><b>标题</b><i>时间：2024-11-27</i></div>)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and not _DATE_LINE.match(normalise_line(child.text_content())):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return normalise_line("".join(parts))


def _site_names(doc, page_title: str) -> set[str]:
    """What names the site rather than the article: og:site_name, the <title>'s last part
    when it has several, and the whole <title> when it reads as a site's name."""
    names = {normalise_line(v) for v in doc.xpath("//meta[@property='og:site_name']/@content")}
    parts = [p for p in _TITLE_SPLIT.split(page_title) if p]
    if len(parts) > 1:
        names.add(parts[-1])
    if _SITE_NAME.search(page_title):
        names.add(page_title)
    return {n for n in names if n}


def _lines_between(doc, title_el, body_el) -> list[str]:
    """Lines after the title and before the body: where the date and 来源 stand."""
    if title_el is None:
        return head_lines(body_el.getparent() if body_el.getparent() is not None else doc, body_el)[-3:]
    ancestors = set(title_el.iterancestors())
    common = next((a for a in body_el.iterancestors() if a in ancestors), doc)
    lines = head_lines(common, body_el)
    title = _heading_text(title_el)
    for i, line in enumerate(lines):
        if title in line:
            # What follows the title on its own line (a date line inside the title's box) counts too.
            rest = line.split(title, 1)[1].strip()
            return ([rest] if rest else []) + lines[i + 1 :]
    return lines[-3:]
