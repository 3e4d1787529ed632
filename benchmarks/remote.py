"""Columns measured in another OS process, one round per request, so they interleave too.

A round server (``wippy_bench.erl`` under ``erl``, ``tools/bench-wasmer.py --serve`` under
Python 3.10) prints ``ready <OS pid>``, then answers each request line ``<command> <arg>...``
with one line, ``ok <value>`` or ``error <reason>``, and quits on ``quit`` or the end of its
input. :class:`RoundServer` is the harness's side of that.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from .harness import BenchmarkError

Server = TypeVar("Server", bound="RoundServer")


class RoundServer:
    """A running round server; a context manager that stops it on exit.

    Raises RuntimeError when the server does not print its ready line within ``start_timeout``
    seconds. ``timeout`` bounds every request.
    """

    def __init__(self, name: str, args: Sequence[str], *, cwd: Path | None = None,
                 timeout: float = 600.0, start_timeout: float = 60.0) -> None:
        self.name = name
        self.timeout = timeout
        self._dir = tempfile.TemporaryDirectory(prefix="wippy-bench-server-")
        self._stderr = Path(self._dir.name) / "stderr.txt"
        with self._stderr.open("w") as stderr:
            self._proc = subprocess.Popen(
                list(args), cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, text=True, bufsize=1,
            )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"bench-{name}", daemon=True)
        self._reader.start()
        try:
            ready = self._reply(start_timeout)
        except BenchmarkError as exc:
            self.close()
            raise RuntimeError(f"{name} did not start: {exc}") from None
        if not ready.startswith("ready "):
            self.close()
            raise RuntimeError(f"{name} did not start: it said {ready!r}")
        self.os_pid = int(ready.split()[1])

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _reply(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise BenchmarkError(f"{self.name} sent no reply within {timeout:.0f} s") from None
        if line is None:
            err = self._stderr.read_text(errors="replace")[-500:]
            raise BenchmarkError(f"{self.name} exited ({self._proc.wait()}): {err}")
        return line

    def request(self, command: str, *args: object) -> float:
        """Runs one request (one round of ``command``) and returns its value.

        Raises BenchmarkError when the round failed there, timed out, or the server died.
        """
        assert self._proc.stdin is not None
        words = [command, *(repr(a) if isinstance(a, float) else str(a) for a in args)]
        try:
            self._proc.stdin.write(" ".join(words) + "\n")
            self._proc.stdin.flush()
        except OSError as exc:
            raise BenchmarkError(f"{self.name} is gone: {exc}") from exc
        reply = self._reply(self.timeout)
        status, _, value = reply.partition(" ")
        if status != "ok":
            raise BenchmarkError(f"{self.name} {command} failed: {value or reply}")
        try:
            return float(value)
        except ValueError:
            raise BenchmarkError(f"{self.name} {command}: not a number: {reply!r}") from None

    def column(self, command: str, *args: object) -> Callable[[], float]:
        """A round function for the harness: one ``command`` round per call."""
        return lambda: self.request(command, *args)

    def close(self) -> None:
        """Asks the server to quit, kills it if it does not within 10 s, and cleans up."""
        if self._proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self._proc.stdin is not None
                self._proc.stdin.write("quit\n")
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._reader.join(timeout=10)  # it ends with the server's output
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._dir.cleanup()

    def __enter__(self: Server) -> Server:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
