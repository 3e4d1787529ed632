"""What ``wippy start`` serves beside the app: its control socket and its metrics.

Both are bound before the app starts, so that a second ``wippy start`` of the same app, or a
metrics port in use, is refused before anything of the app runs; requests are answered once the
app has started (:meth:`Serving.attach`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..observe import AppRequests, ControlError, ControlServer, MetricsServer
from ..observe.control import Handler, RequestError
from ..supervisors import AppRuntime

_NOT_YET = "the app is still starting; try again in a moment"


class Serving:
    """The control server and metrics server of one ``wippy start`` (either may be absent)."""

    def __init__(self, control: ControlServer | None, metrics: MetricsServer | None,
                 app: str) -> None:
        self.control = control
        self.metrics = metrics
        self._app = app
        self._requests: AppRequests | None = None

    @classmethod
    def open(cls, control: Path | None, metrics: tuple[str, int] | None,
             app: str) -> Serving | None:
        """Binds the control socket at ``control`` and the metrics server at ``metrics``;
        None (after printing why on stderr) when one cannot be had."""
        server = None
        if control is not None:
            try:
                server = ControlServer(control, _placeholders(), app)
            except ControlError as exc:
                print(f"wippy start: error: {exc}", file=sys.stderr)
                print("wippy: the app was not started", file=sys.stderr)
                return None
        exporter = None
        if metrics is not None:
            try:
                exporter = MetricsServer(None, metrics)
            except OSError as exc:
                if server is not None:
                    server.close()
                host, port = metrics
                print(f"wippy start: error: cannot serve metrics on {host}:{port}: "
                      f"{exc.strerror or exc}", file=sys.stderr)
                print("wippy: the app was not started", file=sys.stderr)
                return None
        return cls(server, exporter, app)

    def attach(self, rt: AppRuntime, request_stop: Callable[[], str]) -> None:
        """Starts answering for the started app ``rt``; ``request_stop`` begins its shutdown."""
        self._requests = AppRequests(rt, self._app, request_stop)
        if self.control is not None:
            self.control.handle(self._requests.handlers())
        if self.metrics is not None:
            self.metrics.attach(rt)

    def describe(self) -> list[tuple[str, dict[str, Any]]]:
        """Lines (and their JSON fields) saying where the app can be reached."""
        lines: list[tuple[str, dict[str, Any]]] = []
        if self.control is not None:
            shown = _shown(self.control.path, Path(self._app))
            lines.append((f"wippy: wippy ps, top, stop and restart-child reach the app at {shown}",
                          {"control": str(self.control.path)}))
        if self.metrics is not None:
            lines.append((f"wippy: metrics at {self.metrics.url}", {"metrics": self.metrics.url}))
        return lines

    def close(self) -> None:
        """Stops both servers; the control socket file is removed."""
        if self.metrics is not None:
            self.metrics.close()
        if self.control is not None:
            self.control.close()


def _placeholders() -> dict[str, Handler]:
    def not_yet(request: dict[str, Any]) -> Any:
        raise RequestError(_NOT_YET)

    return {name: not_yet for name in ("snapshot", "stop", "terminate", "restart_child")}


def _shown(path: Path, app: Path) -> str:
    """``path`` relative to the app's folder when it is inside it (the default), else as is."""
    folder = app if app.is_dir() else app.parent
    try:
        return os.fspath(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return os.fspath(path)
