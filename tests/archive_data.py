"""A dozen realistic articles, and the VSB page each was extracted from, for the archive tests."""
from __future__ import annotations

from html import escape
from pathlib import Path

from archive.store import Archive
from newscrawl.extract import extract
from newscrawl.items import Article
from newscrawl.pipelines import normalise
from newscrawl.profile import GENERIC_VSB
from newscrawl.portals import portals

BASE = "https://news.xjtu.edu.cn"
HEADERS = {"Content-Type": "text/html; charset=UTF-8", "Server": "VWebServer", "Content-Encoding": "gzip", "X-Frame-Options": "SAMEORIGIN"}

# (portal, column, path, title, published_at, source, body paragraphs, credits, images)
ROWS = [
    ("xjtu", "今日交大", "/info/1002/1001.htm", "天津科创中心正式揭牌", "2024-12-20T17:19:00+08:00", "党委宣传部",
     ["12月20日，西安交通大学天津科创中心在天津滨海新区正式揭牌。", "科创中心将围绕智能制造开展成果转化。"],
     {"文字": ["校友部"], "摄影": ["王某"]}, [("/__local/a/1.jpg", "揭牌仪式现场")]),
    ("xjtu", "今日交大", "/info/1002/1002.htm", "我校举行西迁精神宣讲报告会", "2024-11-05T09:00:00+08:00", "党委宣传部",
     ["报告会在兴庆校区举行，老教授讲述西迁往事。", "师生表示将传承西迁精神。"],
     {"文字": ["宣传部"], "摄影": ["李某"]}, []),
    ("xjtu", "综合新闻", "/info/1003/2001.htm", "交大学子获全国大学生数学竞赛一等奖", "2024-10-12T10:30:00+08:00", "教务处",
     ["在第十五届全国大学生数学竞赛决赛中，我校学生获得一等奖三项。"],
     {"文字": ["教务处"], "摄影": ["王某"]}, [("/__local/a/2.jpg", "获奖学生合影")]),
    ("xjtu", "综合新闻", "/info/1003/2002.htm", "图书馆冬季开放时间调整", "2023-12-01T08:00:00+08:00", "图书馆",
     ["自12月1日起，主楼开放时间调整为8:00至22:00。", "梅园自习室照常开放。"],
     {"文字": ["图书馆"]}, []),
    ("xjtu", "学术动态", "/info/1004/3001.htm", "人工智能与能源交叉研讨会举行", "2023-06-18T14:00:00+08:00", "能动学院",
     ["研讨会聚焦AI在新型电力系统中的应用。", "来自天津大学等高校的专家作报告。"],
     {"文字": ["能动学院"], "摄影": ["王某", "赵某"]}, [("/__local/a/3.jpg", "")]),
    ("xjtu", "学术动态", "/info/1004/3002.htm", "材料学院举办国际学术论坛", "2023-04-09T09:30:00+08:00", "材料学院",
     ["论坛邀请十余位海外学者参加。"],
     {"文字": ["材料学院"], "摄影": ["孙某"]}, []),
    ("xjtu", "媒体交大", "/info/1005/4001.htm", "人民日报：西迁精神薪火相传", "2022-03-01T07:00:00+08:00", "人民日报",
     ["六十多年前，交通大学师生从上海西迁至西安。"],
     {"编辑": ["周某"]}, []),
    ("xjtu", "媒体交大", "/info/1005/4002.htm", "光明日报关注我校科研成果转化", "2021-09-15T07:00:00+08:00", "光明日报",
     ["报道介绍了我校在成果转化方面的探索，科创中心成为亮点。"],
     {"编辑": ["周某"]}, []),
    ("xjtu", "今日交大", "/info/1002/1003.htm", "校园里的腊梅开了", "2025-01-10T12:00:00+08:00", "党委宣传部",
     ["冬日的兴庆校区，腊梅悄然绽放，清香四溢。"],
     {"摄影": ["王某"], "文字": ["学生记者团"]}, [("/__local/a/4.jpg", "盛开的腊梅"), ("/__local/a/5.jpg", "赏梅的同学")]),
    ("xjtu", "综合新闻", "/info/1003/2003.htm", "2025年寒假离校安排", "2025-01-05T16:00:00+08:00", "学生处",
     ["请同学们按时离校，注意安全。"],
     {"文字": ["学生处"]}, []),
    ("tju", "天大要闻", "/info/1021/5001.htm", "天津大学与交大共建科创中心", "2024-12-21T10:00:00+08:00", "天大新闻网",
     ["两校将在天津共建科创中心，推动产学研合作。"],
     {"文字": ["新闻中心"], "摄影": ["王某"]}, []),
    ("tju", "天大要闻", "/info/1021/5002.htm", "天大举行运动会", "2023-10-20T09:00:00+08:00", "天大新闻网",
     ["第六十届田径运动会在卫津路校区开幕。"],
     {"文字": ["体育部"], "摄影": ["钱某"]}, []),
]
TJU_BASE = "https://news.tju.edu.cn"


def vsb_page(title: str, column: str, published_at: str, source: str, paragraphs: list[str], credits: dict, images: list, attachments=()) -> bytes:
    """The article as a VSB/博达 template prints it (breadcrumb, info line, body, credits)."""
    date = published_at[:16].replace("T", " ")
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    for src, caption in images:
        body += f'<p style="text-align:center"><img src="{src}"></p>'
        if caption:
            body += f'<p style="text-align: center">{escape(caption)}</p>'
    body += "".join(f"<p>{role}：{'、'.join(names)}</p>" for role, names in credits.items())
    files = "".join(f'<li><a href="{url}">{escape(name)}</a></li>' for url, name in attachments)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}-新闻网</title></head>
<body><div class="dqwz">当前位置：<a href="/">首页</a> &gt; <a href="/index/x.htm">{escape(column)}</a> &gt; 正文</div>
<form name="_newscontent_fromname"><h1>{escape(title)}</h1>
<div class="info">来源：{escape(source)} 日期：{date}</div>
<div id="vsb_content"><div class="v_news_content">{body}</div></div>
<ul class="files">{files}</ul></form></body></html>""".encode()


def make_articles() -> list[Article]:
    """The articles as the current extractor reads their pages (so a re-extraction is a no-op)."""
    articles = []
    for i, (portal, column, path, title, published, source, paragraphs, credits, images) in enumerate(ROWS):
        base = TJU_BASE if portal == "tju" else BASE
        attachments = [(f"{base}/__local/f/议程.pdf", "会议议程")] if i == 0 else []
        page = vsb_page(title, column, published, source, paragraphs, credits, [(base + s, c) for s, c in images], attachments)
        articles.append(read_page(page, base + path, portal, fetched_at=f"2025-02-0{1 + i % 9}T0{i % 10}:30:05+00:00"))
    return articles


def read_page(page: bytes, url: str, portal: str, fetched_at: str) -> Article:
    """What a crawl stores for ``page``: the extraction, normalised, with the page and its fetch."""
    article = normalise(extract(page, url, portals().get(portal, GENERIC_VSB)))
    article.portal = portal
    article.fetched_at = fetched_at
    article.raw_html = page
    article.http_status = 200
    article.http_headers = HEADERS
    return article


def build_archive(path: Path) -> Path:
    """The dozen articles archived as crawls would leave them: one also under a second
    column and an http URL, one revised, one with view counts read twice."""
    archive = Archive(path)
    articles = make_articles()
    for article in articles:
        archive.save(article, seen_at="2025-02-01T00:00:00+00:00")
    first = articles[0]
    again = Article(**{**vars(first), "url": BASE + "/info/1003/2009.htm", "column": "综合新闻", "raw_html": None})
    archive.save(again, seen_at="2025-02-02T00:00:00+00:00")
    archive.save(Article(**{**vars(first), "view_count": 120, "view_count_method": "direct"}), seen_at="2025-02-03T00:00:00+00:00")
    archive.save(Article(**{**vars(first), "view_count": 152, "view_count_method": "browser"}), seen_at="2025-02-04T00:00:00+00:00")
    portal, column, url_path, title, published, source, paragraphs, credits, images = ROWS[1]
    paragraphs = [p.replace("老教授", "老一辈教授") for p in paragraphs]
    page = vsb_page(title + "（更正）", column, published, source, paragraphs, credits, images)
    archive.save(read_page(page, BASE + url_path, portal, "2025-02-05T00:00:00+00:00"), seen_at="2025-02-05T00:00:00+00:00")
    run = archive.start_run("xjtu", {"columns": "jdyw"})
    archive.finish_run(run, requests=40, new_articles=10, updated_articles=1, duplicate_articles=1, failures=3,
                       failures_by_kind={"http": 2, "extraction": 1}, status="failed")
    archive.record_failure(BASE + "/info/1002/9991.htm", "xjtu", "http", "HTTP 500", run)
    archive.record_failure(BASE + "/info/1002/9992.htm", "xjtu", "http", "HTTP 404", run)
    archive.record_failure(BASE + "/info/1002/9993.htm", "xjtu", "extraction", "no article body")
    archive.record_failure(BASE + "/info/1002/9994.htm", "xjtu", "network", "timeout")
    archive.resolve_failure(BASE + "/info/1002/9994.htm")
    archive.close()
    return path
