"""Read commands open the archive read-only: they never create, migrate or change it, an
archive the user may not write reads as any other, and one from a newer NewsCrawl is refused."""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import pytest

import archive.query
from archive.query import open_readonly, readonly_uri
from archive.schema import migrations

ROOT = Path(__file__).resolve().parent.parent
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

READ_COMMANDS = [
    ["summary"],
    ["search", "科创"],
    ["show", "1"],
    ["show", "1", "--json"],
    ["stats"],
    ["export", "--format", "jsonl", "-o", "{out}/x.jsonl"],
    ["export", "--format", "warc", "-o", "{out}/x.warc.gz"],
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_uri_is_read_only_and_immutable_only_when_the_file_or_directory_is_not_writable(news_db, monkeypatch):
    assert readonly_uri(news_db).endswith("?mode=ro")  # a crawl writing meanwhile stays visible
    real = os.access
    for unwritable in (news_db, news_db.parent):
        monkeypatch.setattr(archive.query.os, "access", lambda p, mode, u=unwritable: not (Path(p) == u and mode == os.W_OK) and real(p, mode))
        assert readonly_uri(news_db).endswith("?mode=ro&immutable=1")


def test_uri_names_any_file_name(news_db, tmp_path):
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/a?b#c%20d \xff.db"))
    shutil.copyfile(news_db, odd)
    assert urllib.parse.unquote_to_bytes(readonly_uri(odd)[len("file:"):].split("?mode=")[0]) == os.fsencode(odd)
    assert open_readonly(odd).execute("select count(*) from articles").fetchone()[0] == 12


@pytest.mark.parametrize("immutable", [False, True])
def test_the_connection_cannot_write(writable_db, monkeypatch, immutable):
    if immutable:
        monkeypatch.setattr(archive.query, "writable", lambda path: False)
    db = open_readonly(writable_db)
    before = sha256(writable_db)
    for sql in ("insert into failures (url) values ('x')", "create table x (a)", "pragma user_version = 7", "delete from articles"):
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.execute(sql)
    assert sha256(writable_db) == before


def test_a_missing_archive_is_not_created(newscrawl, tmp_path):
    missing = tmp_path / "missing.db"
    for command in READ_COMMANDS + [["datasette"]]:
        result = newscrawl(*[a.replace("{out}", str(tmp_path)) for a in command], db=missing)
        assert result.exit_code == 1 and result.stderr == f"Error: no archive at {missing}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_archive_from_a_newer_newscrawl_is_refused_naming_both_versions(newscrawl, writable_db, tmp_path):
    with sqlite3.connect(writable_db) as conn:
        conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('newscrawl', 'm999_future', '')")
    conn.close()
    before = sha256(writable_db)
    ours = max(m.name for m in migrations._migrations)
    for command in READ_COMMANDS + [["datasette"], ["reextract"]]:
        result = newscrawl(*[a.replace("{out}", str(tmp_path)) for a in command], db=writable_db)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
        assert "m999_future" in result.stderr and ours in result.stderr
    assert sha256(writable_db) == before


@pytest.fixture
def readonly_archive(news_db):
    """The archive as a file nobody may write (444) in a directory nobody may write (555),
    and a command prefix that runs as a user to whom that applies (not root, who writes anyway)."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: nothing here is read-only to us")
    prefix = NOBODY if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="newscrawl-ro-"))
    shelf, out = base / "dvd", base / "out"
    shelf.mkdir()
    out.mkdir()
    db = shelf / "news.db"
    shutil.copyfile(news_db, db)
    for path, mode in ((base, 0o755), (out, 0o777), (db, 0o444), (shelf, 0o555)):
        path.chmod(mode)
    try:
        tried = subprocess.run([*prefix, sys.executable, "-c", f"open({str(db)!r}, 'ab')"], capture_output=True, text=True)
        if tried.returncode == 0 or "PermissionError" not in tried.stderr:
            pytest.skip(f"cannot make a file read-only to a process here: {tried.stderr[-200:]}")
        yield db, out, prefix
    finally:
        shelf.chmod(0o755)
        shutil.rmtree(base)


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_read_commands_read_a_read_only_archive(readonly_archive, command):
    db, out, prefix = readonly_archive
    before = (sha256(db), sorted(p.name for p in db.parent.iterdir()))
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "newscrawl.cli", *[a.replace("{out}", str(out)) for a in command], "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and done.stdout
    assert (sha256(db), sorted(p.name for p in db.parent.iterdir())) == before


def test_datasette_serves_a_read_only_archive(readonly_archive):
    from tests.test_archive_datasette import get_json, start_datasette, stop

    db, _, prefix = readonly_archive
    before = sha256(db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc, base = start_datasette(db, port, prefix=prefix)
    try:
        query = urllib.parse.urlencode({"_search": "天津科创", "_shape": "array", "_col": "title"})
        assert [r["id"] for r in get_json(f"{base}/news/articles.json?{query}")] == [1]
    finally:
        stop(proc)
    assert sha256(db) == before
