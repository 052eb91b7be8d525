"""A throwaway redis-server on 127.0.0.1 (a free port, a temporary directory): for the
demo, the benchmark and the tests, never for a real cluster."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

REDIS_SERVER = "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def redis_server(*, appendonly: bool = False) -> Iterator[str]:
    """Start redis-server and yield its URL; stopped (and its directory removed) after.
    ``appendonly``: with its AOF, fsynced every write, where persistence is the point."""
    binary = shutil.which("redis-server") or REDIS_SERVER
    workdir = tempfile.mkdtemp(prefix="newscrawl-redis-")
    port = _free_port()
    persistence = ["--appendonly", "yes", "--appendfsync", "always"] if appendonly else ["--appendonly", "no"]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", "",
                                *persistence, "--loglevel", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_up(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_up(port: int, process: subprocess.Popen, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server ended at once: {process.stderr.read().decode()[-500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer on 127.0.0.1:{port} within {seconds:g} s")
