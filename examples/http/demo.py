"""The http example from Python: the supervised fetch worker retries while the server is down
and stops once a fetch succeeds.

Starts the app with nothing listening on 127.0.0.1:8765, watches the supervisor restart the
worker, then starts a small HTTP server there and waits for the successful fetch.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path
from typing import Any

import wippy
from wippy.actors import EXIT, SUPERVISION

APP = Path(__file__).resolve().parent
PORT = 8765


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from the local server\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


with wippy.load(APP) as rt, rt.process() as me:
    poller = next(item.pid for item in rt.app_status() if item.entry_id == "web:poller")
    me.monitor(poller)
    started = time.monotonic()
    server = None
    while True:
        event = me.receive(timeout=30)
        assert event is not None, "no supervision event within 30 s"
        if event.type == EXIT:
            break
        if event.type != SUPERVISION:
            continue
        report = event.value
        why = report.error.message if report.error is not None else report.detail
        print(f"{time.monotonic() - started:5.1f}s  {report.action:10} {why}", flush=True)
        if report.action == "child_exit" and report.error is None:
            print("fetched: the worker exited normally and is not restarted")
            break
        if server is None and time.monotonic() - started > 2.5:
            print(f"       starting the HTTP server on 127.0.0.1:{PORT}", flush=True)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Hello)
            threading.Thread(target=server.serve_forever, daemon=True).start()
    if server is not None:
        server.shutdown()
        server.server_close()
