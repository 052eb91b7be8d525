"""The archive opens in Datasette and the sqlite-utils CLI as it is, search included; and
`newscrawl datasette` leaves nothing serving when it ends."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "archive" / "datasette-metadata.json"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def start_datasette(db: Path, port: int, *, prefix: list[str] = ()) -> tuple[subprocess.Popen, str]:
    """`newscrawl datasette` on ``db``, once it answers; ``prefix`` runs it as another user."""
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "newscrawl.cli", "datasette", "--db", str(db), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(base + "/-/versions.json")
            return proc, base
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                pytest.fail(f"datasette exited: {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                stop(proc)
                pytest.fail("datasette did not answer within 60 s")
            time.sleep(0.05)  # polling interval, not synchronisation


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def datasette(news_db):
    proc, base = start_datasette(news_db, free_port())
    try:
        yield base
    finally:
        stop(proc)


def test_datasette_search_finds_the_article(datasette):
    query = urllib.parse.urlencode({"_search": "天津科创", "_shape": "array", "_col": "title"})
    rows = get_json(f"{datasette}/news/articles.json?{query}")
    assert [r["id"] for r in rows] == [1]


def test_datasette_canned_query_by_credit(datasette):
    rows = get_json(f"{datasette}/news/articles_by_credit.json?name=%E7%8E%8B%E6%9F%90&_shape=array")
    assert {r["id"] for r in rows} == {1, 3, 5, 9, 11}


def test_datasette_canned_search_marks_the_match(datasette):
    rows = get_json(f"{datasette}/news/search_with_snippets.json?text=%E6%BB%A8%E6%B5%B7%E6%96%B0%E5%8C%BA&_shape=array")
    assert [r["id"] for r in rows] == [1] and "[滨海新区]" in rows[0]["snippet"]


def test_sqlite_utils_cli_searches_with_no_extra_steps(news_db):
    cli = shutil.which("sqlite-utils", path=str(BIN)) or pytest.skip("sqlite-utils CLI not installed")
    done = subprocess.run([cli, "search", str(news_db), "articles", "天津科创", "-c", "id", "-c", "title"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"id": 1, "title": "天津科创中心正式揭牌"}]


def test_metadata_follows_the_archive_file_name(tmp_path):
    from newscrawl.cli import metadata_for

    shipped = json.loads(METADATA.read_text(encoding="utf-8"))
    metadata = metadata_for(tmp_path / "demo.db")
    assert list(metadata["databases"]) == ["demo"]
    assert metadata["databases"]["demo"] == shipped["databases"]["news"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_nothing_serves_after_newscrawl_datasette_is_killed(news_db, signum):
    psutil = pytest.importorskip("psutil")
    port = free_port()
    proc, _ = start_datasette(news_db, port)
    try:
        assert psutil.Process(proc.pid).children(recursive=True) == []  # Datasette runs in this process
        os.kill(proc.pid, signum)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert b"Traceback" not in proc.stderr.read()
