"""Mistakes a user can make are one clear line and a non-zero exit; reading writes nothing."""
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive.schema import migrations

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newscrawl.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "9999"], "no article with id 9999"),
        (["show", "https://news.xjtu.edu.cn/info/1002/404.htm"], "no article at https://news.xjtu.edu.cn/info/1002/404.htm"),
        (["show", "天津"], "is neither an article id (12 or #12) nor a URL"),
        (["search", "科创", "--since", "2024-13"], "malformed date '2024-13'"),
        (["search", "科创", "--until", "yesterday"], "malformed date 'yesterday'"),
        (["search", '"天津科创'], "unbalanced quote in query"),
        (["search", '"天津科创', "--raw"], "rejected: unterminated string"),
        (["search", "AND OR", "--raw"], "rejected: fts5: syntax error"),
        (["search", "科创", "--credit", "摄影="], "malformed credit"),
        (["export", "--format", "csv", "-o", "{tmp}/x.csv", "--since", "20x"], "malformed date"),
    ],
)
def test_bad_input_is_one_line(news_db, tmp_path, args, message):
    done = run(*[a.replace("{tmp}", str(tmp_path)) for a in args], "--db", str(news_db))
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: ") and message in done.stderr


@pytest.mark.parametrize("command", [["search", "科创"], ["show", "1"], ["stats"], ["summary"], ["reextract"]])
def test_missing_corrupt_or_foreign_files_are_one_line(tmp_path, command):
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database at all " * 200)
    foreign = tmp_path / "foreign.db"
    Database(foreign)["notes"].insert({"text": "hello"})
    for path, message in [(tmp_path / "missing.db", "no archive at"), (corrupt, "not a usable SQLite archive"), (foreign, "not a NewsCrawl archive")]:
        before = path.read_bytes() if path.exists() else None
        done = run(*command, "--db", str(path))
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
        assert (path.read_bytes() if path.exists() else None) == before


@pytest.mark.parametrize(
    "command",
    [["search", "科创中心"], ["search", "梅"], ["show", "1"], ["stats"], ["summary"], ["export", "--format", "warc", "-o", "{tmp}/x.warc"]],
)
def test_read_commands_do_not_change_the_archive(newscrawl, news_db, tmp_path, command):
    before = (news_db.read_bytes(), news_db.stat().st_mtime_ns)
    assert newscrawl(*[a.replace("{tmp}", str(tmp_path)) for a in command]).exit_code == 0
    assert (news_db.read_bytes(), news_db.stat().st_mtime_ns) == before


def test_read_commands_do_not_upgrade_an_old_archive(newscrawl, tmp_path):
    old = tmp_path / "old.db"
    db = Database(old)
    migrations.apply(db, stop_before="m002_search")
    db["articles"].insert({"id": 1, "canonical_url": "https://news.xjtu.edu.cn/info/1002/1.htm", "portal": "xjtu", "title": "西迁精神", "body_text": "西迁往事", "content_hash": "x"})
    db.conn.close()
    before = old.read_bytes()
    # Without the index every term is matched by scanning: slower, still right.
    assert newscrawl("search", "西迁精神", "--json", db=old).output.count('"id": 1') == 1
    assert old.read_bytes() == before
    names = [r[0] for r in sqlite3.connect(old).execute("select name from _sqlite_migrations")]
    assert names == ["m001_initial"]
