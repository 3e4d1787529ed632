"""WASI preview 2 networking from components: wasi:http outgoing requests to real servers on
127.0.0.1, and what wasi:sockets can (not) do on wasmtime-py 50."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import AppWriter, call
from tests.loopback import serving
from wippy.config import load_registry
from wippy.wasm import LinkError, Program, WasmRuntime

P2 = ["wasi:cli", "wasi:clocks", "wasi:filesystem", "wasi:random", "wasi:http", "wasi:sockets"]


class Pages(http.server.BaseHTTPRequestHandler):
    """GET /size/<n>: 200 with n bytes; anything else: 404 with a short body."""

    paths: list[str] = []

    def do_GET(self) -> None:
        Pages.paths.append(self.path)
        if self.path.startswith("/size/"):
            body = b"z" * int(self.path.rsplit("/", 1)[1])
            self.send_response(200)
        else:
            body = b"not here"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    """Base URL of an HTTP server on 127.0.0.1."""
    Pages.paths = []
    with serving(Pages, name="pages") as url:
        yield url


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def p2(runtime: WasmRuntime, write_app: AppWriter, method: str, imports: list[str] = P2) -> Program:
    app = write_app({"name": "p2", "kind": "process.wasm", "path": "wasi_p2.wasm",
                     "method": method, "imports": imports})
    return runtime.program(load_registry(app), "test:p2")


def test_http_get_reaches_a_loopback_server(
    wasm_runtime: WasmRuntime, write_app: AppWriter, web: str
) -> None:
    prog = p2(wasm_runtime, write_app, "http-get")
    assert call(prog, f"{web}/size/1234") == {"ok": {"status": 200, "body-length": 1234}}
    assert call(prog, f"{web}/size/300000") == {"ok": {"status": 200, "body-length": 300000}}
    assert call(prog, f"{web}/missing?q=1") == {"ok": {"status": 404, "body-length": 8}}
    assert Pages.paths == ["/size/1234", "/size/300000", "/missing?q=1"]


def test_http_errors_come_back_as_wasi_http_error_codes(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    prog = p2(wasm_runtime, write_app, "http-get")
    assert call(prog, f"http://127.0.0.1:{free_port()}/") == {
        "err": "request failed: connection-refused"
    }


def test_http_needs_its_profile(wasm_runtime: WasmRuntime, write_app: AppWriter) -> None:
    without = [p for p in P2 if p != "wasi:http"]
    with pytest.raises(LinkError, match=r"wasi:http/outgoing-handler@0\.2\.12.*add `wasi:http`"):
        p2(wasm_runtime, write_app, "http-get", without)


class Echo(socketserver.BaseRequestHandler):
    connections = 0

    def handle(self) -> None:
        Echo.connections += 1
        self.request.sendall(b"echo:" + self.request.recv(4096))


def test_tcp_sockets_are_refused_by_wasmtime_py_50(
    wasm_runtime: WasmRuntime, write_app: AppWriter
) -> None:
    """wasi:sockets links and the entry gets the host's network, but wasmtime 50's WASI context
    leaves TCP disabled and its C API (all wasmtime-py can reach) has no switch for it: the
    guest's create-tcp-socket answers access-denied and no connection is made."""
    Echo.connections = 0
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, name="echo", daemon=True)
    thread.start()
    try:
        prog = p2(wasm_runtime, write_app, "tcp-echo")
        result = call(prog, server.server_address[1], "hello")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert result == {"err": "create-tcp-socket: access-denied"}
    assert Echo.connections == 0
