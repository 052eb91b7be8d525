"""One writer at a time: an advisory lock beside the archive file, held for a whole crawl."""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path


class ArchiveLock:
    """``flock`` on ``<archive>.lock``: released by the kernel even when the holder is killed,
    so a crashed cron run never leaves the archive locked."""

    def __init__(self, archive_path: str | Path):
        self.path = Path(f"{archive_path}.lock")
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0, poll: float = 0.2) -> bool:
        """Take the lock, waiting up to ``wait`` seconds; False if another run holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(poll)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
