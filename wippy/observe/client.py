"""The client side of the control socket: what ``wippy ps``, ``top``, ``stop`` and
``restart-child`` use to talk to a running ``wippy start``."""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from wippy.observe.control import ControlError, check_length, probe


class NotRunning(ControlError):
    """No app answers: there is no socket, or it is stale."""


class ControlClient:
    """One connection to an app's control socket; a context manager.

    :meth:`connect` raises :class:`NotRunning` (no socket; a stale one) or ControlError (not a
    socket, permission denied, refused by the server) with a message that says what to do.
    """

    def __init__(self, path: Path, connection: socket.socket) -> None:
        self.path = path
        self._socket = connection
        self._reader = connection.makefile("rb")
        self._lock = threading.Lock()  # one request at a time on the connection

    @classmethod
    def connect(cls, path: Path, timeout: float = 10.0) -> ControlClient:
        """Connects to the app whose control socket is ``path``; ``timeout`` bounds each
        request's answer."""
        check_length(path)
        try:
            connection = probe(path, timeout)
        except FileNotFoundError:
            raise NotRunning(
                f"no app is running here: there is no control socket {path} "
                "(`wippy start` creates it)"
            ) from None
        except PermissionError:
            owner = _owner(path)
            raise ControlError(
                f"permission denied: the control socket {path} belongs to {owner}, "
                "and only its owner may use it"
            ) from None
        except OSError as exc:
            raise ControlError(f"cannot connect to {path}: {exc.strerror or exc}") from None
        if connection is None:
            raise NotRunning(
                f"the control socket {path} is stale: the `wippy start` that created it is no "
                "longer running (the next `wippy start` removes it)"
            )
        return cls(path, connection)

    def request(self, op: str, **arguments: Any) -> Any:
        """Sends one request and returns its result; raises ControlError with the server's
        refusal, or when the connection fails or the app does not answer in time."""
        line = json.dumps({"op": op, **arguments}).encode() + b"\n"
        try:
            with self._lock:
                self._socket.sendall(line)
                reply_line = self._reader.readline()
        except TimeoutError:
            raise ControlError(f"the app did not answer {op} in time") from None
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.ECONNRESET):
                raise ControlError("the app closed the connection (it is stopping?)") from None
            raise ControlError(f"the connection to the app failed: {exc}") from None
        if not reply_line:
            raise ControlError("the app closed the connection (it is stopping?)")
        try:
            reply = json.loads(reply_line)
        except ValueError:
            raise ControlError(f"the app answered {op} with something that is not JSON") from None
        if not isinstance(reply, dict) or not reply.get("ok"):
            message = reply.get("error") if isinstance(reply, dict) else None
            raise ControlError(str(message or f"{op} failed"))
        return reply.get("result")

    def close(self) -> None:
        """Closes the connection."""
        self._reader.close()
        self._socket.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def wait_gone(path: Path, timeout: float) -> bool:
    """Waits until nobody answers on ``path`` (the app removed it or died); True if in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = probe(path, 1.0)
        except (FileNotFoundError, ControlError):
            return True
        except OSError:
            return True
        if connection is None:
            return True
        connection.close()
        time.sleep(0.05)
    return False


def _owner(path: Path) -> str:
    """Who owns the socket (or, when we may not look inside its folder, the folder)."""
    for candidate in (path, path.parent):
        try:
            uid = os.stat(candidate).st_uid
            break
        except OSError:
            continue
    else:
        return "another user"
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"
