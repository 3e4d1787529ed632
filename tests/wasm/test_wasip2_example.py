"""examples/http: the supervised wasi:http worker retries while the server is down, then
fetches once it is up (the app copied with a free port in place of 8765)."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLES
from wippy import load
from wippy.actors import SUPERVISION, Event


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_fetch_worker_is_restarted_until_the_server_answers(tmp_path: Path) -> None:
    app = tmp_path / "http"
    shutil.copytree(EXAMPLES / "http", app)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yaml_path = app / "app.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("127.0.0.1:8765", f"127.0.0.1:{port}"))

    server: http.server.ThreadingHTTPServer | None = None
    failures = 0
    try:
        with load(app) as rt, rt.process() as me:
            poller = next(i.pid for i in rt.app_status() if i.entry_id == "web:poller")
            me.monitor(poller)
            deadline = time.monotonic() + 30
            while True:
                event = me.receive(timeout=max(0.0, deadline - time.monotonic()))
                assert isinstance(event, Event) and event.type == SUPERVISION, event
                report = event.value
                if report.action != "child_exit":
                    continue
                if report.error is None:
                    break
                assert report.error.kind == "exit"
                assert report.error.message == "web:fetch: guest exited with status 1"
                failures += 1
                if failures == 2:
                    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hello)
                    threading.Thread(target=server.serve_forever, daemon=True).start()
            assert rt.is_alive(poller)
            time.sleep(0.3)  # transient: a normal exit is not restarted
            assert me.receive(timeout=0.5) is None
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    assert failures >= 2
