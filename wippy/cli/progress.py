"""A one-line progress display for long operations, shown only on a terminal."""

from __future__ import annotations

import shutil
from types import TracebackType
from typing import TextIO


class Progress:
    """Rewrites one line of ``stream`` with ``[i/total] label`` as work advances.

    Does nothing at all when ``stream`` is not a terminal (pipes, files, CI logs), so output
    stays clean there. The line is erased when the context ends.
    """

    def __init__(self, stream: TextIO, total: int, verb: str) -> None:
        self._stream = stream
        self._total = total
        self._verb = verb
        self._done = 0
        self._shown = False
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) and total > 0

    def step(self, label: str) -> None:
        """Announces the next item (``label``) as being worked on."""
        self._done += 1
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 24)).columns - 1
        line = f"[{self._done}/{self._total}] {self._verb} {label}"
        if len(line) > width:
            line = line[: max(0, width - 3)] + "..."
        self._stream.write("\r\x1b[K" + line)
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erases the progress line (so a message can be printed on a clean line)."""
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.clear()
