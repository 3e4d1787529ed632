"""Where guest stdout/stderr goes."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from wippy.actors.pid import Pid
from wippy.wasm.api import OutputSink

OutputRouter = Callable[[Pid, str, bytes], None]
"""Receives guest output: the process's pid, ``"stdout"`` or ``"stderr"``, and the bytes."""

_lock = threading.Lock()


def write_through(pid: Pid, stream: str, data: bytes) -> None:
    """The default router: writes the bytes to this program's stdout or stderr."""
    target = sys.stderr if stream == "stderr" else sys.stdout
    with _lock:
        buffer = getattr(target, "buffer", None)
        if buffer is not None:
            buffer.write(data)
        else:
            target.write(data.decode("utf-8", "replace"))
        target.flush()


def sink_for(router: OutputRouter, pid: Pid, stream: str) -> OutputSink:
    """An :data:`~wippy.wasm.api.OutputSink` that forwards to ``router`` tagged with ``pid``."""

    def sink(data: bytes) -> None:
        router(pid, stream, data)

    return sink
