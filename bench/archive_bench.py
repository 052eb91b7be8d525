"""Archive query benchmark: builds a 100,000-article archive, prints median times of the read commands.

    python bench/archive_bench.py [--articles N] [--db PATH] [--rebuild]

Not a test: it prints figures. The archive is built once and reused (``--rebuild`` to
start over). Rows go in by bulk inserts, but through the real schema, so the FTS index is
filled by its triggers exactly as a crawl fills it.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.export import selected_ids, write_jsonl  # noqa: E402
from archive.query import Filters, open_readonly  # noqa: E402
from archive.search import search  # noqa: E402
from archive.show import load_article, render_article  # noqa: E402
from archive.store import open_database  # noqa: E402

WORDS = """学校 学院 学生 教师 校长 书记 科研 创新 成果 转化 国家 重点 实验室 人才 培养 教育 教学 课程
改革 发展 合作 交流 国际 会议 论坛 报告 讲座 研讨 项目 基金 论文 期刊 发表 获奖 竞赛 一等奖 志愿 服务
社会 实践 党建 思政 文化 艺术 体育 运动 健康 医学 医院 工程 材料 能源 电力 机械 信息 计算机 人工智能
数据 网络 安全 管理 经济 金融 法学 人文 历史 哲学 图书馆 校友 捐赠 招生 就业 毕业 典礼 开学 军训 宿舍
食堂 校园 环境 绿色 低碳 西部 丝路 一带一路 西迁 精神 传承 新时代 高质量 双一流 学科 建设 评估 平台 中心
基地 园区 企业 产业 地方 政府 签约 仪式 揭牌 启动 召开 举行 举办 开展 参加 出席 讲话 指出 强调 表示 介绍
汇报 调研 考察 座谈 交流会 推进会 研究院 研究所 团队 专家 院士 教授 博士 硕士 本科 青年 学者 奖学金""".split()
NAMES = [a + b for a in "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗" for b in ("某", "明", "华", "强", "芳", "伟", "静", "磊", "洋", "勇")]
ROLES = ("文字", "摄影", "编辑", "审核")
PORTALS = {"xjtu": ("今日交大", "综合新闻", "学术动态", "媒体交大"), "tju": ("天大要闻", "综合新闻", "学术动态"), "whu": ("武大要闻", "珞珈人物", "媒体武大", "综合新闻")}


def sentence(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(WORDS) for _ in range(n)) + "。"


def build(path: Path, count: int) -> None:
    """``count`` articles of realistic length (≈ 600 characters) with credits, URLs and columns."""
    rng = random.Random(4)
    db = open_database(path)
    articles, urls, columns, credits, pages = [], [], [], [], []
    portals = list(PORTALS)
    for i in range(1, count + 1):
        portal = portals[i % len(portals)]
        column = rng.choice(PORTALS[portal])
        title = "".join(rng.choice(WORDS) for _ in range(rng.randint(4, 7)))
        body = "\n".join("".join(sentence(rng, rng.randint(6, 14)) for _ in range(3)) for _ in range(rng.randint(2, 4)))
        published = f"{rng.randint(2008, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(8, 20):02d}:00:00+08:00"
        url = f"https://news.{portal}.edu.cn/info/{1000 + PORTALS[portal].index(column)}/{i}.htm"
        people = {role: rng.sample(NAMES, rng.randint(1, 2)) for role in rng.sample(ROLES, rng.randint(1, 3))}
        articles.append(
            (i, url, portal, column, title, "党委宣传部", published, published[:16].replace("T", " "), body, "",
             str(people).replace("'", '"'), "[]", "[]", "[]", rng.randint(10, 20000),
             hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(), "vsb", published, published, published)
        )
        urls.append((url, i, column, published, published))
        columns.append((i, column, published))
        credits += [(i, role, name, n) for role, names in people.items() for n, name in enumerate(names)]
    with db.conn:
        db.conn.executemany(f"insert into articles values ({', '.join('?' * 20)})", articles)
        db.conn.executemany("insert into article_urls values (?, ?, ?, ?, ?)", urls)
        db.conn.executemany("insert into article_columns values (?, ?, ?)", columns)
        db.conn.executemany("insert into credits values (?, ?, ?, ?)", credits)
        db.conn.executemany("insert into pages values (?, ?, ?, ?, ?, ?)", pages)
    db.execute("analyze")
    db.conn.close()


def median_ms(fn, runs: int) -> float:
    fn()  # warm the page cache as a second query by a person would find it
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("bench/archive_bench.db"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    if not args.db.exists():
        start = time.perf_counter()
        build(args.db, args.articles)
        print(f"built {args.articles} articles into {args.db} in {time.perf_counter() - start:.1f} s "
              f"({args.db.stat().st_size / 1e6:.0f} MB)")
    db = open_readonly(args.db)
    total = db.execute("select count(*) from articles").fetchone()[0]
    print(f"{total} articles; median of {args.runs} runs (ms)\n")
    cases = [
        ("search, 4 characters, common (科研成果)", "科研成果", None),
        ("search, 3 characters, rare (院士团)", "院士团", None),
        ("search, 2 characters, common (西迁)", "西迁", None),
        ("search, 2 characters, absent (量子)", "量子", None),
        ("search, 1 character (鼎)", "鼎", None),
        ("search, mixed 2+4 (西迁 研究院士)", "西迁 研究院士", None),
        ("search + --portal --since --until", "人工智能", Filters(portal="tju", since="2015", until="2018-06")),
        ("search + --credit 摄影=王某", "科研成果", Filters(credit="摄影=王某")),
        ("search + --column, 2 characters", "精神", Filters(column="珞珈人物", since="2020")),
    ]
    for label, query, filters in cases:
        hits = search(db, query, filters, limit=20)
        print(f"  {label:<44} {median_ms(lambda: search(db, query, filters, limit=20), args.runs):8.1f}   ({len(hits)} hits)")
    rng = random.Random(1)
    ids = [rng.randint(1, total) for _ in range(args.runs + 1)]
    it = iter(ids)
    print(f"  {'show (load and render one article)':<44} {median_ms(lambda: render_article(load_article(db, next(it))), args.runs):8.1f}")
    chosen = selected_ids(db)[:10_000]

    def export():
        write_jsonl(db, chosen, io.StringIO())

    print(f"  {'export 10,000 articles as JSON lines':<44} {median_ms(export, 3):8.1f}")
    print(f"  {'select ids for export (all, no query)':<44} {median_ms(lambda: selected_ids(db), 3):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
