"""Real HTTP servers on 127.0.0.1 for tests, run on a thread for the duration of a block."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(
    handler: type[http.server.BaseHTTPRequestHandler],
    server_class: type[http.server.ThreadingHTTPServer] = http.server.ThreadingHTTPServer,
    name: str = "loopback-http",
) -> Iterator[str]:
    """Serves ``handler`` on a free loopback port; yields the base URL, then shuts down."""
    server = server_class(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
