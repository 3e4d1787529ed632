"""The control socket of a running app: a Unix socket that local commands talk to.

``wippy start`` listens on ``<app folder>/.wippy/control.sock`` (mode 0600, in a folder of mode
0700 when it creates it), and only answers connections from its own user (checked with
``SO_PEERCRED``). The protocol is one JSON object per line each way: a request
``{"op": NAME, ...arguments}`` gets ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error": MESSAGE}``. A connection may carry any number of requests (``wippy top`` keeps one).

Binding refuses a second app on the same socket (:class:`AlreadyRunning`), removes a stale
socket left by an app that died (nobody accepts on it), and refuses a path that is not a socket.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import socketserver
import stat
import struct
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SOCKET_NAME = Path(".wippy") / "control.sock"
"""Where an app's control socket is, relative to its folder."""

MAX_PATH = 107
"""The longest socket path Linux accepts (``sun_path`` is 108 bytes with its NUL)."""

MAX_REQUEST = 1 << 20
"""The longest request line a server reads (bytes)."""

Handler = Callable[[dict[str, Any]], Any]
"""Answers one request (its JSON object); raises :class:`RequestError` to refuse it."""


class ControlError(Exception):
    """A control-socket problem, with a message meant for the person at the terminal."""


class AlreadyRunning(ControlError):
    """Another ``wippy start`` already answers on the socket."""


class RequestError(ControlError):
    """A request the server refuses (bad arguments, unknown process); its message is sent back."""


def app_folder(config: str | os.PathLike[str]) -> Path:
    """The folder of an app given as ``-C``: the folder itself, or the folder of a YAML file."""
    path = Path(config)
    return path if path.is_dir() or not path.suffix else path.parent


def socket_path(config: str | os.PathLike[str]) -> Path:
    """The control socket of the app at ``config`` (see :func:`app_folder`)."""
    return app_folder(config) / SOCKET_NAME


def check_length(path: Path) -> None:
    """Raises ControlError when ``path`` is too long for a Unix socket."""
    size = len(os.fsencode(path))
    if size > MAX_PATH:
        raise ControlError(
            f"the control socket path {path} is {size} bytes long, more than the {MAX_PATH} a "
            "Unix socket allows: choose a shorter one with --control PATH"
        )


def probe(path: Path, timeout: float = 2.0) -> socket.socket | None:
    """Connects to the socket at ``path``: the connected socket, or None when nobody accepts
    on it (a stale socket). Raises FileNotFoundError when there is none, ControlError when
    ``path`` is not a socket, PermissionError when we may not connect."""
    mode = os.stat(path).st_mode
    if not stat.S_ISSOCK(mode):
        raise ControlError(f"{path} exists and is not a socket: move it away")
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect(os.fspath(path))
    except ConnectionRefusedError:
        client.close()
        return None
    except BaseException:
        client.close()
        raise
    return client


def _hello(connection: socket.socket) -> dict[str, Any]:
    """Asks a server who it is (best effort: empty when it does not answer)."""
    try:
        connection.sendall(b'{"op": "hello"}\n')
        reply = json.loads(connection.makefile("rb").readline() or b"{}")
    except (OSError, ValueError):
        return {}
    result = reply.get("result") if isinstance(reply, dict) else None
    return result if isinstance(result, dict) else {}


def bind(path: Path) -> socket.socket:
    """A listening Unix socket at ``path`` (mode 0600), after making its folder.

    A stale socket there is removed (logged); raises :class:`AlreadyRunning` when another app
    answers on it, ControlError when the path is too long, is not a socket, or cannot be bound.
    """
    check_length(path)
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
    try:
        existing = probe(path)
    except FileNotFoundError:
        pass
    except PermissionError as exc:
        raise ControlError(f"cannot check the control socket {path}: {exc.strerror}") from None
    else:
        if existing is not None:
            who = _hello(existing)
            existing.close()
            pid = f" (pid {who['pid']})" if "pid" in who else ""
            raise AlreadyRunning(
                f"the app is already running{pid}: its control socket {path} answers; "
                "stop it with `wippy stop` first"
            )
        log.warning("removing the stale control socket %s (its app is no longer running)", path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)  # the socket is created 0600: no moment with wider access
    try:
        server.bind(os.fspath(path))
    except OSError as exc:
        server.close()
        if exc.errno == errno.EADDRINUSE:
            raise AlreadyRunning(f"another wippy start bound {path} just now") from None
        raise ControlError(f"cannot listen on {path}: {exc.strerror}") from None
    finally:
        os.umask(previous)
    os.chmod(path, 0o600)
    server.listen(16)
    return server


def peer_uid(connection: socket.socket) -> int | None:
    """The user id of the process at the other end of a Unix socket (None if unknown)."""
    try:
        raw = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return None
    _, uid, _ = struct.unpack("3i", raw)
    return int(uid)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    handlers: Mapping[str, Handler] = {}
    open_connections: set[socket.socket]
    lock: threading.Lock

    def hang_up(self) -> None:
        """Ends every open connection (their threads then return)."""
        with self.lock:
            connections = list(self.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Connection(socketserver.StreamRequestHandler):
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.lock:
            self.server.open_connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def handle(self) -> None:
        uid = peer_uid(self.connection)
        if uid is not None and uid != os.getuid():
            self._send({"ok": False, "error": f"refused: uid {uid} is not the app's owner"})
            return
        while True:
            line = self.rfile.readline(MAX_REQUEST + 1)
            if not line:
                return
            if len(line) > MAX_REQUEST:
                self._send({"ok": False, "error": "request too long"})
                return
            self._send(self._answer(line))

    def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError as exc:
            return {"ok": False, "error": f"not a JSON request: {exc}"}
        if not isinstance(request, dict) or not isinstance(request.get("op"), str):
            return {"ok": False, "error": 'a request is a JSON object with a string "op"'}
        op = request["op"]
        handler = self.server.handlers.get(op)
        if handler is None:
            known = ", ".join(sorted(self.server.handlers))
            return {"ok": False, "error": f"unknown request {op!r} (known: {known})"}
        try:
            return {"ok": True, "result": handler(request)}
        except RequestError as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:
            log.exception("control request %s failed", op)
            return {"ok": False, "error": f"{op} failed: {type(exc).__name__}: {exc}"}

    def _send(self, reply: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(reply, default=str).encode() + b"\n")
            self.wfile.flush()


class ControlServer:
    """Serves ``handlers`` (request name -> :data:`Handler`) on the control socket at ``path``
    from a thread of its own until :meth:`close`, which also removes the socket.

    Raises what :func:`bind` raises. A ``hello`` request (who is there: pid, app) is built in.
    """

    def __init__(self, path: Path, handlers: Mapping[str, Handler], app: str) -> None:
        self.path = path
        listening = bind(path)
        self._inode = os.stat(path).st_ino
        server = _Server(os.fspath(path), _Connection, bind_and_activate=False)
        server.socket.close()
        server.socket = listening
        hello: Handler = lambda request: {"pid": os.getpid(), "app": app}  # noqa: E731
        server.handlers = {"hello": hello, **handlers}
        server.open_connections = set()
        server.lock = threading.Lock()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2},
            name="wippy-control", daemon=True,
        )
        self._thread.start()
        log.info("control socket listening at %s", path)

    def handle(self, handlers: Mapping[str, Handler]) -> None:
        """Replaces the request handlers (``hello`` stays)."""
        server = self._server
        if server is not None:
            server.handlers = {"hello": server.handlers["hello"], **handlers}

    def close(self) -> None:
        """Stops serving and removes the socket file (if it is still ours). Idempotent."""
        server, self._server = self._server, None  # type: ignore[assignment]
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.hang_up()
        self._thread.join(5.0)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == self._inode:
                self.path.unlink()
