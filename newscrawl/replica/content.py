"""The bundled portal's content: deterministic generated articles plus the real seed article.

Everything here is ground truth for tests and benchmarks: each `ReplicaArticle` knows the
URLs it is published under and the fields a correct extraction must produce.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources

SHANGHAI = timezone(timedelta(hours=8))
OWNER = 1369287362  # the VSB site owner id in _showDynClicks / related.jsp
PER_PAGE = 20


@dataclass(frozen=True)
class ReplicaColumn:
    id: int  # the <column-id> in /info/<column-id>/<article-id>.htm
    slug: str  # index/<slug>.htm
    name: str


COLUMNS = (
    ReplicaColumn(1002, "jdyw", "今日交大"),
    ReplicaColumn(1003, "zhxw", "综合新闻"),
    ReplicaColumn(1004, "xsdt", "学术动态"),
    ReplicaColumn(1005, "mtjd", "媒体交大"),
)
COLUMN_BY_ID = {c.id: c for c in COLUMNS}


@dataclass
class ReplicaArticle:
    id: int
    columns: list[int]  # first is the primary column; a second means a cross-post
    title: str
    source: str
    published: datetime
    blocks: list[tuple[str, str]]  # ("p" | "h" | "img", text or "src|caption")
    credit_lines: list[str]  # a right-aligned paragraph each; "\n" breaks a line inside it
    credits: dict[str, list[str]]
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (href, name)
    clickid: int = 0
    base_views: int = 0
    related: list[int] = field(default_factory=list)
    listed: bool = True  # False: reachable only through other articles' related boxes
    # Cross-posts get a second article id under the second column.
    alias_id: int | None = None

    @property
    def path(self) -> str:
        return f"/info/{self.columns[0]}/{self.id}.htm"

    @property
    def paths(self) -> list[str]:
        paths = [self.path]
        if self.alias_id is not None:
            paths.append(f"/info/{self.columns[1]}/{self.alias_id}.htm")
        return paths

    @property
    def column_names(self) -> list[str]:
        return [COLUMN_BY_ID[c].name for c in self.columns]

    @property
    def published_iso(self) -> str:
        return self.published.isoformat()

    @property
    def images(self) -> list[tuple[str, str]]:
        return [tuple(text.split("|", 1)) for kind, text in self.blocks if kind == "img"]

    @property
    def body_text(self) -> str:
        """What a correct extractor returns: headings, paragraphs and captions, in order."""
        lines = []
        for kind, text in self.blocks:
            if kind == "img":
                caption = text.split("|", 1)[1]
                if caption:
                    lines.append(caption)
            else:
                lines.append(text)
        return "\n".join(lines)


def _seed(page: str) -> ReplicaArticle:
    """The seed article from the reader's text of the real page (``seed_article.txt``).

    The page's blocks are separated by blank lines: breadcrumb and column, title, the
    来源/日期/浏览量 line, the body, the credit lines, 关闭, 相关文章 and its placeholder.
    A body paragraph that is no sentence (no closing 。) is one of the article's sub-headings.
    """
    blocks = [block.split("\n") for block in page.strip("\n").split("\n\n")]
    (_breadcrumb, column_name), (title,), (info,) = blocks[:3]
    *paragraphs, credit_lines = blocks[3 : blocks.index(["关闭"])]
    column = next(c for c in COLUMNS if c.name == column_name)
    source, published = re.fullmatch(r"来源:(.+) 日期:(\d{4}-\d\d-\d\d \d\d:\d\d) 浏览量:", info).groups()
    return ReplicaArticle(
        id=213245,
        columns=[column.id],
        title=title,
        source=source,
        published=datetime.strptime(published, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI),
        blocks=[("p" if text.endswith("。") else "h", text) for (text,) in paragraphs],
        # Its credit lines follow one another with no gap, unlike paragraphs: one
        # right-aligned paragraph, a line per role.
        credit_lines=["\n".join(credit_lines)],
        credits={role: names.split("、") for role, names in (line.split(":", 1) for line in credit_lines)},
        clickid=213245,
        base_views=1862,
    )


# The article the product was specified from, with the real page's text, sub-headings and
# credits (news.xjtu.edu.cn, 今日交大, 2024-12-20). The page's photos are not in that text,
# so the copy has none rather than invented ones.
SEED = _seed(resources.files("newscrawl.replica").joinpath("seed_article.txt").read_text(encoding="utf-8"))

_UNITS = ["电气工程学院", "能源与动力工程学院", "机械工程学院", "材料科学与工程学院", "电子与信息学部",
          "管理学院", "经济与金融学院", "人文社会科学学院", "医学部", "化学学院", "物理学院",
          "数学与统计学院", "生命科学与技术学院", "人居环境与建筑工程学院", "航天航空学院", "前沿科学技术研究院"]
_EVENTS = ["举办学术交流会", "召开年度工作会议", "师生荣获国家级竞赛一等奖", "开展主题党日活动",
           "举行新生开学典礼", "团队在国际期刊发表重要成果", "与企业签署战略合作协议", "举办校友返校日活动",
           "启动青年教师培养计划", "举行研究生学位论文答辩", "开展志愿服务活动", "举办国际学术研讨会",
           "召开教学工作推进会", "获批国家重点研发计划项目", "举行实验室开放日", "举办创新创业大赛"]
_PLACES = ["兴庆校区", "雁塔校区", "曲江校区", "创新港", "苏州研究院", "彭康书院", "南洋书院", "仲英书院"]
_SUBJECTS = ["与会专家", "学院负责人", "参会师生", "项目团队", "青年学者", "校友代表", "企业嘉宾", "学生代表"]
_VERBS = ["围绕", "聚焦", "结合", "针对", "立足"]
_TOPICS = ["人才培养", "科学研究", "学科建设", "成果转化", "国际合作", "社会服务", "产教融合", "创新创业",
           "基础研究", "交叉学科发展", "课程思政建设", "实验教学改革"]
_ACTIONS = ["进行了深入交流", "分享了经验体会", "提出了意见建议", "展开了热烈讨论", "作了专题报告",
            "介绍了最新进展", "明确了下一步工作"]
_HEADINGS = ["聚焦主责主业", "凝聚发展合力", "深化交流合作", "推动成果落地", "服务国家战略", "强化人才支撑"]
_SOURCES = ["交大新闻网", "交大新闻网", "交大新闻网", "党委宣传部", "科学技术发展研究院", "陕西日报", "中国教育报"]
_NAMES = ["王磊", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄俊", "周婷", "吴昊", "徐琛", "孙悦",
          "马骁", "朱琳", "胡斌", "郭瑞", "何雨", "高翔"]
# Credit line shapes seen on real portals: full/half-width colons, several roles per line,
# one role per line, names split by 、，or spaces, review chains.
_CREDIT_STYLES = (
    lambda n: ([f"文字：{n[0]}、{n[1]} 图片：{n[2]} 编辑：{n[3]}"],
               {"文字": [n[0], n[1]], "图片": [n[2]], "编辑": [n[3]]}),
    lambda n: ([f"文字:{n[0]} 摄影:{n[1]}", f"责任编辑:{n[2]}"],
               {"文字": [n[0]], "摄影": [n[1]], "责任编辑": [n[2]]}),
    lambda n: ([f"撰稿：{n[0]}，{n[1]}", f"摄影：{n[2]} {n[3]}", f"审核：{n[4]}"],
               {"撰稿": [n[0], n[1]], "摄影": [n[2], n[3]], "审核": [n[4]]}),
    lambda n: ([f"文字：{n[0]}", f"编辑：{n[1]}", f"初审：{n[2]} 复审：{n[3]} 终审：{n[4]}"],
               {"文字": [n[0]], "编辑": [n[1]], "初审": [n[2]], "复审": [n[3]], "终审": [n[4]]}),
    lambda n: ([f"供稿：{n[0]}", f"编辑：{n[1]}"], {"供稿": [n[0]], "编辑": [n[1]]}),
)


def generate(count: int, seed: int = 0, *, first_id: int = 200001, start: datetime | None = None,
             include_seed: bool = True) -> list[ReplicaArticle]:
    """``count`` articles (the seed article among them when ``include_seed``), oldest first.

    The same arguments always give the same articles; titles are unique so no two distinct
    articles share a content hash.
    """
    rng = random.Random(seed)
    start = start or datetime(2024, 12, 31, 20, 0, tzinfo=SHANGHAI) - timedelta(hours=9 * count)
    articles: list[ReplicaArticle] = []
    titles: set[str] = {SEED.title}
    seed_slot = None
    if include_seed and count:
        seed_slot = max(0, min(count - 1, round((SEED.published - start) / timedelta(hours=9))))
    next_id = first_id
    for i in range(count):
        if i == seed_slot:
            articles.append(_copy_seed())
            continue
        if next_id == SEED.id:
            next_id += 1
        articles.append(_article(rng, next_id, start + timedelta(hours=9 * i, minutes=rng.randrange(60)), titles))
        next_id += 1
    _link(rng, articles, next_id)
    return articles


def _copy_seed() -> ReplicaArticle:
    return ReplicaArticle(**{k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                             for k, v in SEED.__dict__.items()})


def _article(rng: random.Random, article_id: int, published: datetime, titles: set[str]) -> ReplicaArticle:
    title = f"{rng.choice(_UNITS)}{rng.choice(_EVENTS)}"
    if title in titles:
        n = 2
        while f"{title}（{n}）" in titles:
            n += 1
        title = f"{title}（{n}）"
    titles.add(title)
    blocks: list[tuple[str, str]] = [("p", f"{published.month}月{published.day}日，{title}。活动在{rng.choice(_PLACES)}举行。")]
    for section in range(rng.randint(1, 3)):
        if section:
            blocks.append(("h", rng.choice(_HEADINGS)))
        for _ in range(rng.randint(1, 3)):
            blocks.append(("p", _sentence(rng) + _sentence(rng)))
        if rng.random() < 0.3:
            caption = rng.choice(["活动现场", "与会人员合影", f"{rng.choice(_SUBJECTS)}发言", ""])
            blocks.append(("img", f"/__local/{article_id % 16:X}/{article_id}_{section}.jpg|{caption}"))
    attachments = []
    if rng.random() < 0.1:
        attachments.append((f"/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner={OWNER}"
                            f"&wbfileid={article_id}01", f"{title}附件.pdf"))
    names = rng.sample(_NAMES, 5)
    credit_lines, credits = rng.choice(_CREDIT_STYLES)(names)
    return ReplicaArticle(
        id=article_id,
        columns=[rng.choice(COLUMNS).id],
        title=title,
        source=rng.choice(_SOURCES),
        published=published,
        blocks=blocks,
        credit_lines=credit_lines,
        credits=credits,
        attachments=attachments,
        # A republished article keeps its old counter: clickid is not always the id.
        clickid=article_id if rng.random() > 0.05 else article_id + 500000,
        base_views=rng.randint(50, 5000),
    )


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(_SUBJECTS)}{rng.choice(_VERBS)}{rng.choice(_TOPICS)}{rng.choice(_ACTIONS)}。"


def _link(rng: random.Random, articles: list[ReplicaArticle], next_id: int) -> None:
    """Cross-posts, related boxes, and a few articles reachable only as related articles."""
    for i, art in enumerate(articles):
        if art.id == SEED.id:
            continue
        roll = rng.random()
        if roll < 0.05:
            art.columns.append(rng.choice([c.id for c in COLUMNS if c.id != art.columns[0]]))
            art.alias_id = next_id
            next_id += 1
        elif roll < 0.07 and i:
            art.listed = False
    for i, art in enumerate(articles):
        others = [a.id for a in articles[max(0, i - 30) : i + 30] if a is not art]
        art.related = rng.sample(others, min(3, len(others)))
    # Every unlisted article must be reachable: make its neighbour point to it.
    by_id = {a.id: a for a in articles}
    for i, art in enumerate(articles):
        if not art.listed:
            referrer = next((a for a in articles[i + 1 :] + articles[:i][::-1] if a.listed), None)
            if referrer is not None and art.id not in referrer.related:
                referrer.related.append(art.id)
    assert all(r in by_id for a in articles for r in a.related)
