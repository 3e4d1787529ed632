"""Running the installed `wippy` console script as a user would (a subprocess)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

WIPPY = Path(sys.executable).parent / "wippy"


def env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment for a wippy subprocess: ours, with its own compile cache."""
    result = dict(os.environ, WIPPY_CACHE_DIR=str(cache), PYTHONUNBUFFERED="1")
    result.update(extra)
    return result


def run(cache: Path, *args: str, timeout: float = 120, **extra: str
        ) -> subprocess.CompletedProcess[str]:
    """Runs ``wippy ARGS...`` to completion and returns its status, stdout and stderr."""
    return subprocess.run([str(WIPPY), *args], capture_output=True, text=True, timeout=timeout,
                          env=env(cache, **extra), check=False)


def popen(cache: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
    """Starts ``wippy ARGS...`` with piped stdout/stderr (text, line-buffered)."""
    return subprocess.Popen([str(WIPPY), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1, env=env(cache, **extra))


def read_until(stream: Any, needle: str, timeout: float = 60) -> list[str]:
    """Reads lines from ``stream`` until one contains ``needle``; returns the lines read.

    Fails the test when the stream ends first. (``timeout`` is enforced by the caller's kill.)
    """
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise AssertionError(f"output ended before {needle!r}; got {lines!r}")
        lines.append(line.rstrip("\n"))
        if needle in line:
            return lines
    raise AssertionError(f"no {needle!r} within {timeout}s; got {lines!r}")


def send(proc: subprocess.Popen[str], signum: signal.Signals) -> None:
    """Sends ``signum`` to the wippy subprocess."""
    proc.send_signal(signum)


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    """Waits for the subprocess (killing it after ``timeout``); returns status, rest of
    stdout, rest of stderr."""
    # Read through the file objects, not communicate(): after readline() they may hold lines
    # already read from the pipe, which communicate() (reading the raw descriptors) would lose.
    texts: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, f=stream: texts.__setitem__(n, f.read()))
        for name, stream in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        for reader in readers:
            reader.join()
        raise AssertionError(
            f"wippy did not exit within {timeout}s: {texts.get('out')!r} {texts.get('err')!r}"
        ) from None
    for reader in readers:
        reader.join()
    return proc.returncode, texts["out"], texts["err"]


def write_yaml(folder: Path, *entries: dict[str, Any], namespace: str = "t") -> Path:
    """Writes ``folder/app.yaml`` with ``entries`` and returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {"version": "1.0", "namespace": namespace, "entries": list(entries)}
    (folder / "app.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def read_all(fd: int) -> str:
    """Everything written to the pseudo-terminal whose controller end is ``fd``, until the
    other end is closed."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        data += chunk
    return data.decode()


def with_terminal_stderr(cache: Path, *args: str, timeout: float = 120) -> tuple[int, str, str]:
    """Runs ``wippy ARGS...`` with stderr on a pseudo-terminal; returns its status, its stdout
    and what it wrote to the terminal."""
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen([str(WIPPY), *args], stdout=subprocess.PIPE, stderr=terminal,
                                env=env(cache), text=True)
        os.close(terminal)
        out, _ = proc.communicate(timeout=timeout)
        shown = read_all(controller)
    finally:
        os.close(controller)
    return proc.returncode, out, shown
