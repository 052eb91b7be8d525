"""`newscrawl export --format wacz`: a WACZ that `wacz validate` accepts, lists every article
as a page, and that pywb replays."""
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
import zlib
from pathlib import Path

import pytest

from archive.query import open_readonly

BIN = Path(sys.executable).parent
# pywb keeps a venv of its own (`make install` builds it; it pins an old redis-py).
PYWB_BIN = Path(os.environ.get("PYWB_BIN") or Path(__file__).resolve().parent.parent / ".venv-pywb" / "bin")
URL = "https://news.xjtu.edu.cn/info/1002/1001.htm"


@pytest.fixture(scope="module")
def wacz(news_db, tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from newscrawl.cli import cli

    out = tmp_path_factory.mktemp("wacz") / "news.wacz"
    result = CliRunner().invoke(cli, ["export", "--format", "wacz", "-o", str(out), "--db", str(news_db)])
    assert result.exit_code == 0 and result.output == f"wrote 12 articles as pages to {out}\n", result.output
    return out


def _pages(wacz: Path) -> list[dict]:
    with zipfile.ZipFile(wacz) as z:
        return [json.loads(line) for line in z.read("pages/pages.jsonl").decode("utf-8").splitlines()]


def test_wacz_validates(wacz):
    done = subprocess.run([BIN / "wacz", "validate", "-f", wacz], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "the passed WACZ is valid" in done.stdout, done.stdout + done.stderr


def test_every_article_is_a_page_with_its_title_and_date(wacz, news_db):
    header, *pages = _pages(wacz)
    assert header["format"] == "json-pages-1.0" and header["hasText"] is True
    db = open_readonly(news_db)
    articles = {r[0]: r[1:] for r in db.execute("select canonical_url, title, published_at, body_text from articles")}
    assert {p["url"]: (p["title"], p["published_at"], p["text"]) for p in pages} == articles
    (seed,) = [p for p in pages if p["url"] == URL]
    assert seed["title"] == "天津科创中心正式揭牌" and seed["published_at"] == "2024-12-20T17:19:00+08:00"


def test_the_index_finds_each_page_at_the_time_pages_jsonl_gives(wacz):
    _, *pages = _pages(wacz)
    with zipfile.ZipFile(wacz) as z:
        cdx = gzip.decompress(z.read("indexes/index.cdx.gz")).decode("utf-8").splitlines()
    responses = {}
    for line in cdx:
        _, ts, data = line.split(" ", 2)
        entry = json.loads(data)
        if entry.get("mime") != "warc/request":
            responses[entry["url"]] = ts
    # pages.jsonl's ts (ISO) is the capture's 14-digit timestamp in the index.
    assert {p["url"]: p["ts"].replace("-", "").replace(":", "").replace("T", "").rstrip("Z") for p in pages} == responses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_listening(port: int, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except ConnectionRefusedError:
            time.sleep(0.05)
    pytest.fail(f"pywb did not listen on 127.0.0.1:{port} within {seconds} s")


def test_pywb_replays_an_archived_page(wacz, news_db, tmp_path):
    for tool in ("wb-manager", "wayback"):
        assert (PYWB_BIN / tool).exists(), f"pywb should be in {PYWB_BIN}: `make install` puts it there"
    subprocess.run([PYWB_BIN / "wb-manager", "init", "news"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    subprocess.run([PYWB_BIN / "wb-manager", "add", "--unpack-wacz", "news", wacz], cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([PYWB_BIN / "wayback", "-b", "127.0.0.1", "-p", str(port)], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in server.stderr:  # pywb says it starts, just before it binds the port
            if f"Starting Gevent Server on {port}" in line:
                break
        else:
            pytest.fail(f"pywb ended before it served (exit {server.wait()})")
        _wait_until_listening(port, server)
        base = f"http://127.0.0.1:{port}/news"
        # id_: the archived bytes as they were stored.
        with urllib.request.urlopen(f"{base}/2025id_/{URL}", timeout=30) as reply:
            body = reply.read()
        stored = open_readonly(news_db).execute("select html_zlib from pages where url = ?", [URL]).fetchone()[0]
        assert body == zlib.decompress(stored)
        # The replay a person sees: pywb's frame around the rewritten page.
        with urllib.request.urlopen(f"{base}/2025mp_/{URL}", timeout=30) as reply:
            page = reply.read().decode("utf-8")
        assert "天津科创中心正式揭牌" in page and "来源：党委宣传部" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def test_wacz_is_refused_over_an_existing_file(newscrawl, tmp_path):
    out = tmp_path / "x.wacz"
    out.write_bytes(b"keep")
    result = newscrawl("export", "--format", "wacz", "-o", str(out))
    assert result.exit_code == 1 and "exists: add --force" in result.output and out.read_bytes() == b"keep"


def test_an_article_without_a_stored_page_is_left_out_and_counted(newscrawl, writable_db, tmp_path):
    from sqlite_utils import Database

    Database(writable_db).execute("delete from pages where url = ?", [URL]).connection.commit()
    out = tmp_path / "x.wacz"
    result = newscrawl("export", "--format", "wacz", "-o", str(out), db=writable_db)
    assert result.output == f"wrote 11 articles as pages to {out}; 1 with no stored page left out\n"
    assert URL not in {p.get("url") for p in _pages(out)}


def test_without_py_wacz_the_export_says_what_to_install(newscrawl, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wacz.main", None)  # import fails as if not installed
    out = tmp_path / "x.wacz"
    result = newscrawl("export", "--format", "wacz", "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert result.output == "Error: WACZ export needs the wacz package: run pip install 'newscrawl[wacz]'\n"
