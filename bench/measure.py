"""Measuring a crawl from outside: wall and CPU seconds and peak memory of a command's whole process tree."""
from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measured:
    wall: float  # seconds, start-up included
    cpu: float  # user + system seconds of the command and every process it started
    peak_rss: int  # bytes, summed over the tree (shared pages counted once per process)
    peak_pss: int  # bytes, summed over the tree (shared pages divided among their sharers)


def run(cmd: list[str], ok: tuple[int, ...] = (0,)) -> Measured:
    """Run ``cmd`` in the project folder; exit with its stderr's end if its status is not ``ok``.

    CPU is RUSAGE_CHILDREN's growth, so it counts the command's descendants (Chromium, the
    Playwright driver) once they are reaped, and none of this process's own work (the
    bundled portal it serves). Memory is sampled every 0.2 s with psutil.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop, peak = threading.Event(), [0, 0]
    sampler = threading.Thread(target=_sample_memory, args=(proc.pid, stop, peak), daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd[:8])} … failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(wall, cpu, peak[0], peak[1])


def _sample_memory(pid: int, stop: threading.Event, peak: list[int]) -> None:
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        rss = pss = 0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in tree:
            try:
                info = proc.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss, pss = rss + info.rss, pss + info.pss
        peak[:] = max(peak[0], rss), max(peak[1], pss)
        stop.wait(0.2)


def is_page(path: str) -> bool:
    """A list or article page of the bundled portal (what the bare fetch fetches too), not a
    related box, counter, script or robots.txt."""
    return path.endswith(".htm") and "/system/" not in path


def load_average() -> str:
    """The machine's load average now (1, 5, 15 min): timings are only as quiet as the machine."""
    return ", ".join(f"{x:.2f}" for x in psutil.getloadavg())
