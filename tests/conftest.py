"""Shared fixtures: the bundled portal on 127.0.0.1, real crawls of it, and a small archive."""
from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from newscrawl.cli import cli
from newscrawl.demo import crawl_command, cron_command
from newscrawl.replica import Site, serve
from tests.archive_data import build_archive

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No test talks to anything but 127.0.0.1: a connection elsewhere fails the test.
    (Crawls run in subprocesses against the bundled portal's 127.0.0.1 base URL.)"""
    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"a test tried to connect to {host}: tests stay on 127.0.0.1")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


def run_crawl(base_url: str, db: Path, *args: str, timeout: float = 300, failing: bool = False,
              spider: str = "xjtu") -> subprocess.CompletedProcess:
    """A real `scrapy crawl xjtu` of the portal at ``base_url`` into ``db`` (a subprocess,
    as users run it: Twisted's reactor cannot restart inside one test process). It must
    exit 0, or 1 when the run is expected to record failures (``failing``)."""
    done = subprocess.run(crawl_command(base_url, db, *args, spider=spider), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == (1 if failing else 0), done.stderr[-3000:]
    return done


def crawled_twice(site, db_path: Path, *args: str, spider: str = "xjtu"):
    """Serve ``site`` and crawl it twice into ``db_path``; yields (site, base_url, db,
    the requests of the first run), for module fixtures of end-to-end tests."""
    with serve(site) as base_url:
        run_crawl(base_url, db_path, *args, spider=spider)
        first_requests = dict(site.requests)
        run_crawl(base_url, db_path, *args, spider=spider)
        yield site, base_url, open_db(db_path), first_requests


def article_row(db: Database, base_url: str, path: str) -> dict:
    """The archived article at ``base_url + path`` (the test fails if there is none)."""
    row = db.execute("select article_id from article_urls where url = ?", [base_url + path]).fetchone()
    assert row, f"{path} was not archived"
    return db["articles"].get(row[0])


def newscrawl_crawl(base_url: str, db: Path, *args: str, timeout: float = 300, **popen) -> subprocess.CompletedProcess:
    """`newscrawl crawl xjtu` as cron runs it, against the portal at ``base_url``."""
    return subprocess.run(newscrawl_crawl_command(base_url, db, *args), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, **popen)


def newscrawl_crawl_command(base_url: str, db: Path, *args: str) -> list[str]:
    return cron_command(base_url, db, *args)


@pytest.fixture
def portal():
    """A small bundled portal, served for one test; yields (site, base_url)."""
    site = Site(articles=60, seed=7)
    with serve(site) as base_url:
        yield site, base_url


def open_db(path: Path) -> Database:
    return Database(path)


@pytest.fixture(scope="session")
def news_db(tmp_path_factory) -> Path:
    """The dozen-article archive, built once; tests that write take ``writable_db``."""
    return build_archive(tmp_path_factory.mktemp("archive") / "news.db")


@pytest.fixture
def writable_db(news_db, tmp_path) -> Path:
    copy = tmp_path / "news.db"
    shutil.copyfile(news_db, copy)
    return copy


@pytest.fixture
def newscrawl(news_db):
    """Run `newscrawl ARGS...` against the shared archive (``--db`` added unless given)."""

    def run(*args: str, db: Path | None = None):
        args = list(args) + ([] if "--db" in args else ["--db", str(db or news_db)])
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    return run
