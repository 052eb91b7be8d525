"""A careless cron operator: what `newscrawl crawl` and `counts` do with an archive they cannot
write, a setting or number that makes no sense, and an archive that is not there.

Each is one line on stderr and a non-zero exit (2 for the command line, 1 for the system),
with no traceback, no request to the portal and no archive made where none was asked for."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from click.testing import CliRunner

from newscrawl.cli import cli
from tests.conftest import ROOT, newscrawl_crawl_command

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
DOWN = "http://127.0.0.1:9"  # nothing listens: a usage error must be found before any request


def one_line(done) -> str:
    """The one line the run printed on stderr (the test fails if there are more, or a traceback)."""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.stdout == ""
    return lines[0]


@pytest.fixture
def usage(monkeypatch, tmp_path):
    """Run `newscrawl ARGS… --db tmp/news.db` in this process for an error found before any
    crawl starts: starting one fails the test (a reactor cannot run twice in one process)."""
    from scrapy.crawler import CrawlerProcess

    def started(self, *args, **kwargs):
        raise AssertionError("a crawl started: the error was not found before it")

    monkeypatch.setattr(CrawlerProcess, "start", started)

    def run(*args: str):
        argv = list(args) if "--db" in args else [*args, "--db", str(tmp_path / "news.db")]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    return run


@pytest.fixture
def shelf():
    """A directory the crawl's user may not write (555), and the command prefix of such a user
    (not root, who writes anyway)."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: nothing here is read-only to us")
    base = Path(tempfile.mkdtemp(prefix="newscrawl-op-"))
    base.chmod(0o755)
    shelf = base / "shelf"
    shelf.mkdir()
    readonly_db = shelf / "readonly.db"
    readonly_db.write_bytes(b"")
    Path(f"{readonly_db}.lock").write_bytes(b"")
    for path in (readonly_db, Path(f"{readonly_db}.lock")):
        path.chmod(0o444)
    shelf.chmod(0o555)
    yield shelf, (NOBODY if os.geteuid() == 0 else [])
    shelf.chmod(0o755)
    shutil.rmtree(base)


@pytest.mark.parametrize("name", ["news.db", "missing/dir/news.db", "readonly.db"])
def test_an_archive_the_crawl_cannot_write_is_one_line_and_no_request(portal, shelf, name):
    site, base_url = portal
    directory, as_user = shelf
    done = subprocess.run(as_user + newscrawl_crawl_command(base_url, directory / name), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    line = one_line(done)
    assert f"cannot open the archive {directory / name}" in line and "Permission denied" in line, line
    assert not site.requests, "a crawl that cannot archive must not fetch the portal"


@pytest.mark.parametrize("setting, message", [
    ("DOWNLOAD_DELAY=abc", "DOWNLOAD_DELAY must be a number of seconds, got 'abc'"),
    ("DOWNLOAD_DELAY=1s", "DOWNLOAD_DELAY must be a number of seconds, got '1s'"),
    ("DOWNLOAD_DELAY=nan", "DOWNLOAD_DELAY must be a number of seconds, got 'nan'"),
    ("DOWNLOAD_DELAY=-1", "DOWNLOAD_DELAY must be at least 0, got '-1'"),
    ("CLOSESPIDER_TIMEOUT=6h", "CLOSESPIDER_TIMEOUT must be a number of seconds, got '6h'"),
    ("CLOSESPIDER_TIMEOUT=1e400", "CLOSESPIDER_TIMEOUT must be a number of seconds, got '1e400'"),
    ("CONCURRENT_REQUESTS=1.5", "CONCURRENT_REQUESTS must be a whole number, got '1.5'"),
    ("CONCURRENT_REQUESTS=", "CONCURRENT_REQUESTS must be a whole number, got ''"),
    ("RETRY_ENABLED=maybe", "RETRY_ENABLED must be True or False (1 or 0), got 'maybe'"),
])
def test_a_setting_that_is_no_value_of_its_kind_is_a_usage_error(usage, tmp_path, setting, message):
    done = usage("crawl", "xjtu", "--base-url", DOWN, "-s", setting)
    assert done.exit_code == 2
    assert message in one_line(done)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args, message", [
    (("--max-pages", "0"), "--max-pages"),  # was dropped as if not given: an unlimited walk
    (("--refresh-days", "0"), "--refresh-days"),  # was dropped: no refresh, silently
    (("--refresh-days", "100000000"), "--refresh-days"),  # was a traceback mid-run
    (("--wait", "nan"), "--wait"),  # waited for ever
    (("--wait", "inf"), "--wait"),
    (("--wait", "-1"), "--wait"),
    (("--columns", ""), "--columns"),  # was every column
    (("--columns", " , "), "--columns"),
    (("--db", ""), "--db"),
])
def test_a_number_or_name_out_of_range_is_a_usage_error_before_any_request(usage, tmp_path, args, message):
    done = usage("crawl", "xjtu", "--base-url", DOWN, *args)
    assert done.exit_code == 2
    assert message in one_line(done)
    assert not list(tmp_path.iterdir())


def test_a_directory_as_the_archive_is_a_usage_error(usage, tmp_path):
    done = usage("crawl", "xjtu", "--base-url", DOWN, "--db", str(tmp_path))
    assert done.exit_code == 2
    assert "is a directory" in one_line(done)


def counts_command(base_url: str, db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "newscrawl.cli", "counts", "xjtu", "--db", str(db), "--base-url", base_url,
            "-s", "DOWNLOAD_DELAY=0", *args]


@pytest.mark.parametrize("args", [("--days", "99999999"), ("--wait", "nan"), ("-s", "DOWNLOAD_DELAY=x")])
def test_counts_takes_numbers_as_crawl_does(usage, tmp_path, args):
    done = usage("counts", "xjtu", "--base-url", DOWN, *args)
    assert done.exit_code == 2
    one_line(done)
    assert not list(tmp_path.iterdir())


def test_counts_of_an_archive_that_is_not_there_says_so_and_makes_none(tmp_path):
    """A typo in cron's --db would otherwise make an empty archive and count nothing, quietly, for ever."""
    done = subprocess.run(counts_command(DOWN, tmp_path / "typo" / "news.db"), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "no archive at" in one_line(done)
    assert not list(tmp_path.iterdir())


def test_a_bad_setting_in_a_real_process_is_one_line(tmp_path):
    done = subprocess.run(newscrawl_crawl_command(DOWN, tmp_path / "news.db", "-s", "CLOSESPIDER_TIMEOUT=abc"), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "CLOSESPIDER_TIMEOUT must be a number of seconds" in one_line(done)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("setting, typo", [("DOWNLOAD_DELAYS=0", "DOWNLOAD_DELAY"), ("download_delay=0", "DOWNLOAD_DELAY"),
                                           ("CLOSESPIDER_TIMEOTU=60", "CLOSESPIDER_TIMEOUT")])
def test_a_setting_name_one_typo_away_is_a_usage_error(usage, setting, typo):
    """Scrapy keeps any name; a misspelt one would be a setting nobody reads, silently."""
    done = usage("crawl", "xjtu", "--base-url", DOWN, "-s", setting)
    assert done.exit_code == 2
    assert f"did you mean {typo}?" in one_line(done)


def test_a_deadline_no_date_can_hold_is_no_deadline(tmp_path):
    from archive.lock import ArchiveLock

    lock = ArchiveLock(tmp_path / "news.db")
    assert lock.acquire(deadline=1e300)  # was an OverflowError, a traceback at the start of every run
    assert lock.overdue_holder() is None
    lock.release()


def open_files(pid: int) -> set[str]:
    files = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            files.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass  # closed since it was listed
    return files


def test_sigterm_while_waiting_for_the_archive_ends_the_wait_at_once(portal, tmp_path):
    """systemd's stop (SIGTERM) of a crawl started with --wait 600 waited out the other crawl
    (up to ten minutes, past systemd's 90 s, then SIGKILL), then began a run of its own."""
    from archive.lock import ArchiveLock

    site, base_url = portal
    db = tmp_path / "news.db"
    holder = ArchiveLock(db)
    assert holder.acquire()
    waiting = subprocess.Popen(newscrawl_crawl_command(base_url, db, "--wait", "600"), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while f"{db}.lock" not in open_files(waiting.pid):  # it is waiting at the lock
            assert waiting.poll() is None and time.monotonic() < deadline, waiting.communicate()
        waiting.send_signal(signal.SIGTERM)
        out, err = waiting.communicate(timeout=20)
    finally:
        waiting.kill()
        holder.release()
    assert waiting.returncode == 1
    done = subprocess.CompletedProcess(waiting.args, waiting.returncode, out, err)
    assert "interrupted: stopped by a signal (SIGTERM or Ctrl-C) while waiting for the archive" in one_line(done)
    assert not site.requests and not db.exists()  # no run began: nothing fetched, no archive made
