"""One writer at a time: an advisory lock beside the archive file, held for a whole crawl."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
import time
from datetime import datetime, timezone
from pathlib import Path


class ArchiveLock:
    """``flock`` on ``<archive>.lock``: released by the kernel even when the holder is killed,
    so a crashed cron run never leaves the archive locked.

    The file names the holder (pid, start, deadline) and is emptied on release, so the next
    run can say when it takes over from a holder that died, and when a live holder has
    overrun its deadline (hung: every later run would otherwise do nothing, silently)."""

    def __init__(self, archive_path: str | Path):
        self.path = Path(f"{archive_path}.lock")
        self._fd: int | None = None
        self.interrupted = False  # a signal (SIGTERM, Ctrl-C) ended the wait for the lock
        self.taken_over: str | None = None  # what the dead holder left, once acquired
        # How the last process's runs ended, when its archive could not say (a full disk).
        self.left_outcomes: list[dict] = []

    def acquire(self, wait: float = 0.0, poll: float = 0.2, deadline: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait`` seconds; False if another run holds it, or if
        SIGTERM or SIGINT came while waiting (``interrupted``; the signal's own handler runs
        too). ``deadline``: seconds this run means to hold it at most (0: no deadline)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        give_up = time.monotonic() + wait
        with _signals_noted(wait) as signalled:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if signalled or time.monotonic() >= give_up:
                        self.interrupted = bool(signalled)
                        os.close(fd)
                        return False
                    time.sleep(poll)
        left = _holder(os.pread(fd, 4096, 0))
        if left and "outcome" in left:
            self.left_outcomes = left.get("outcomes") or [left["outcome"]]
        elif left:
            self.taken_over = (f"taking over from process {left.get('pid')} (started {left.get('started')}), "
                               "which ended without releasing it")
        now = time.time()
        holder = {"pid": os.getpid(), "started": _iso(now), "deadline": _iso(now + deadline) if deadline else None}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode() + b"\n", 0)
        self._fd = fd
        return True

    @property
    def left_outcome(self) -> dict | None:
        """How the last run ended, when its archive could not say (the first, if several)."""
        return self.left_outcomes[0] if self.left_outcomes else None

    def overdue_holder(self) -> str | None:
        """A description of the live holder when it has run past its deadline, else None."""
        try:
            holder = _holder(self.path.read_bytes())
        except OSError:
            return None
        deadline = holder.get("deadline") if holder else None
        if not deadline or datetime.fromisoformat(deadline) > datetime.now(timezone.utc):
            return None
        return (f"process {holder.get('pid')} has held {self.path} since {holder.get('started')}, "
                f"past its deadline ({deadline}): it looks hung; stop it to let crawls run again")

    def is_held(self) -> bool:
        """Is a crawl holding the archive now? (Read-only: takes a shared lock and lets go.)"""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the shared lock, if it was taken
        return False

    def note(self) -> dict | None:
        """What the last holder left in the file: ``{"outcome": …}`` when its run could not be
        recorded in the archive (a full disk), read without taking the lock."""
        try:
            return _holder(self.path.read_bytes())
        except OSError:
            return None

    def release(self, outcome: dict | list[dict] | None = None) -> None:
        """Let go; ``outcome``: how the run ended (or the runs, when one process held the lock
        for several), kept in the file for the next run to record when the archive itself
        could not take it (the lock file is tiny and already there)."""
        outcomes = [outcome] if isinstance(outcome, dict) else list(outcome or ())
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            if outcomes:
                note = {"outcome": outcomes[0], **({"outcomes": outcomes} if len(outcomes) > 1 else {})}
                with contextlib.suppress(OSError):
                    os.pwrite(self._fd, json.dumps(note, ensure_ascii=False).encode() + b"\n", 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def _signals_noted(wait: float):
    """Note SIGTERM and SIGINT while waiting: the wait sleeps in the thread that would handle
    them (a crawl's reactor), so ``--wait 600`` under systemd's stop would otherwise hold on
    for up to ten minutes. The handler that was there still runs (Scrapy's begins its
    shutdown), except Python's own for Ctrl-C, whose KeyboardInterrupt would cut the wait short
    anywhere."""
    noted: list[int] = []
    if wait <= 0 or threading.current_thread() is not threading.main_thread():
        yield noted  # no wait to cut short, or signals cannot be handled here
        return
    before = {}

    def note(signum, frame):
        noted.append(signum)
        handler = before[signum]
        if callable(handler) and handler is not signal.default_int_handler:
            handler(signum, frame)

    for signum in (signal.SIGTERM, signal.SIGINT):
        before[signum] = signal.signal(signum, note)
    try:
        yield noted
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _holder(raw: bytes) -> dict | None:
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {"pid": text.split()[0]}  # the first release wrote the bare pid
    return holder if isinstance(holder, dict) else None


def _iso(seconds: float) -> str | None:
    """The moment as ISO 8601; None past what a date can say (a deadline of 1e300 s is none)."""
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None
