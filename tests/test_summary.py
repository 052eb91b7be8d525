"""`newscrawl summary` lines up its table by what the terminal shows, Chinese names included."""
from __future__ import annotations

import sqlite3

from archive.terminal import pad, width


def test_a_chinese_character_takes_two_cells():
    assert [width(t) for t in ("xjtu", "今日交大", "新闻", "Ａ", "e\u0301")] == [4, 8, 4, 2, 1]
    assert pad("新闻", 8) == "新闻    " and pad("今日交大", 6) == "今日交大"


def test_counts_stand_in_one_column_whatever_the_names(writable_db, newscrawl):
    with sqlite3.connect(writable_db) as db:  # columns of 2, 4 and 6 characters, and ASCII
        db.executemany("insert into article_columns (article_id, column, first_seen_at) values (1, ?, '2025-01-01')",
                       [("新闻",), ("学术动态快讯",), ("Media",)])
    result = newscrawl("summary", db=writable_db)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(rows) >= 5
    assert len({width(line.rstrip()[: -len(line.split()[-1])]) for line in rows}) == 1, result.output
