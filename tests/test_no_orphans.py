"""A crawl leaves no Chromium behind: not when it ends, not when it is killed outright."""
from __future__ import annotations

import signal
import subprocess
import time

import psutil
import pytest

from newscrawl.demo import cron_command
from newscrawl.replica import Site, serve
from tests.conftest import ROOT


def _browsers(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [p for p in process.children(recursive=True) if "chrom" in p.name().lower()]
    except psutil.NoSuchProcess:
        return []


def _wait_gone(processes: list[psutil.Process], timeout: float = 30) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return alive


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_crawl_stopped_while_rendering_leaves_no_chromium(tmp_path, signum):
    site = Site(articles=60, seed=41, latency=0.2)
    with serve(site) as base_url:
        crawl = subprocess.Popen(cron_command(base_url, tmp_path / "news.db", "-s", "VIEW_COUNTS=browser"), cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process, deadline, browsers = psutil.Process(crawl.pid), time.monotonic() + 90, []
            while not browsers and time.monotonic() < deadline and crawl.poll() is None:
                browsers = _browsers(process)
                time.sleep(0.1)
            assert browsers, "Chromium never started"
            everything = process.children(recursive=True)
            crawl.send_signal(signum)
            crawl.wait(timeout=120)
            assert _wait_gone(everything) == []
        finally:
            if crawl.poll() is None:
                crawl.kill()
