"""Serving a `Site` over HTTP on 127.0.0.1, in a background thread."""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from newscrawl.replica.site import Site


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "VSB-replica/1.0"
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's naming)
            with site.answering():
                self._answer()

        def _answer(self):
            status, headers, body = site.handle(self.path, self.headers)
            if site.latency and site.is_article_page(self.path):
                time.sleep(site.latency)
            if status == "hang":
                time.sleep(site.faults.hang_seconds)
                self.close_connection = True
                return
            if status == "stream":  # a body made while it is sent (an iterable of bytes): no length, ends when the client goes
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in body:
                    self.wfile.write(chunk)
                self.close_connection = True
                return
            if status == "truncate":  # no Content-Length, cut off: only the page itself can tell
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # the crawl's own log says enough
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog of 5 drops connections when a crawl opens many at once
    # (a burst of counter requests); a real portal's server queues them (nginx: 511).
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A browser closing its context resets idle keep-alive connections: not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(site: Site, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``site`` on ``host`` (127.0.0.1; any 127.x.y.z is this machine too, and a host
    of its own, as each real portal has) and a free port unless given; yields its base URL."""
    server = _Server((host, port), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="replica-portal", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
