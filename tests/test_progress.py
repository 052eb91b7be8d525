"""The progress line: drawn on a terminal (a real crawl under a pseudo-terminal), never under cron."""
import os
import pty
import re
import select
import subprocess

import pytest

from newscrawl.demo import crawl_command
from newscrawl.progress import wanted
from tests.conftest import ROOT, newscrawl_crawl, open_db

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(command: list[str], timeout: float = 300) -> tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its stdin, stdout and stderr; what it printed."""
    master, slave = pty.openpty()
    process = subprocess.Popen(command, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    output = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                pytest.fail(f"the crawl printed nothing for {timeout} s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the crawl has ended and closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(master)
        code = process.wait(timeout=timeout)
    return code, output.decode("utf-8", "replace")


def states(output: str) -> list[str]:
    """Each state of the line as a person saw it (rich redraws it after a carriage return)."""
    return [ANSI.sub("", s).strip() for s in re.split(r"\r", output) if "list pages" in s]


def test_a_crawl_on_a_terminal_shows_its_progress(portal, tmp_path):
    site, base_url = portal
    db = tmp_path / "news.db"
    code, output = run_on_a_terminal(crawl_command(base_url, db))
    assert code == 0, output[-2000:]
    lines = states(output)
    assert len(lines) >= 2  # drawn, then redrawn
    stored = open_db(db).execute("select count(*) from articles").fetchone()[0]
    assert stored == len(site.articles)
    final = lines[-1]
    new = int(re.search(r"(\d+) new", final)[1])
    known = int(re.search(r"(\d+) known", final)[1])
    assert new + known >= stored and new > 0
    assert "0 failed" in final
    assert int(re.search(r"(\d+) list pages", final)[1]) > 0
    assert re.search(r"[\d.]+ pages/s", final) and "100%" in final
    assert final.endswith("0:00:00")  # the time left, once nothing is
    assert lines[0].startswith("xjtu: 0 new")


def test_a_cron_run_prints_nothing(portal, tmp_path):
    _, base_url = portal
    done = newscrawl_crawl(base_url, tmp_path / "news.db")  # stderr is a pipe, as under cron
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


class Pipe:
    def isatty(self):
        return False


class Terminal:
    def isatty(self):
        return True


@pytest.mark.parametrize("setting, stream, shown", [
    ("auto", Terminal(), True), ("auto", Pipe(), False), ("on", Pipe(), True), ("off", Terminal(), False),
])
def test_progress_setting(setting, stream, shown):
    assert wanted(setting, stream) is shown


def test_a_wrong_progress_setting_is_taken_as_auto(caplog):
    assert wanted("sometimes", Terminal()) is True and wanted("sometimes", Pipe()) is False
    assert "PROGRESS must be auto, on or off, not 'sometimes'" in caplog.text
