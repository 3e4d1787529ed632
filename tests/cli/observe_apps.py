"""Apps for the tests of what looks inside a running `wippy start`: ps, top, stop, metrics."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.cli.console import finish, popen, read_until, write_yaml
from tests.conftest import FIXTURES, digest

WORKERS = '''
import sys
from wippy.actors import CANCEL, Event

def say(line):
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()

def wait_for_cancel(proc, name):
    say(f"{name}: running")
    proc.receive(match=lambda i: isinstance(i, Event) and i.type == CANCEL)
    return name

_crashes = {}

def crash_times(proc, name, times, delay=0):
    """Fails `times` times (counted in this wippy process), each after `delay` s, then waits
    for CANCEL."""
    done = _crashes.get(name, 0)
    if done < int(times) and delay:
        proc.receive(timeout=float(delay))
    if done < int(times):
        _crashes[name] = done + 1
        raise RuntimeError(f"{name} crash {done + 1}")
    say(f"{name}: settled")
    return wait_for_cancel(proc, name)
'''

POOL = {"name": "pool", "kind": "process.host", "host": {"workers": 4},
        "lifecycle": {"auto_start": True}}
BIN = {"name": "bin", "kind": "fs.directory", "directory": str(FIXTURES)}
SLEEPER = {"name": "sleeper", "kind": "process.wasm", "fs": "t:bin", "path": "steps.wasm",
           "hash": digest(FIXTURES / "steps.wasm"), "method": "sleep",
           "imports": ["wasi:cli", "wasi:clocks"]}
WAITER = {"name": "waiter", "kind": "process.python", "module": "workers",
          "method": "wait_for_cancel"}
CRASHER = {"name": "crasher", "kind": "process.python", "module": "workers",
           "method": "crash_times"}


def supervisor(name: str, *children: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An auto-start ``process.supervisor`` on ``t:pool``."""
    return {"name": name, "kind": "process.supervisor", "host": "t:pool",
            "children": list(children), "lifecycle": {"auto_start": True}, **fields}


def tree_app(folder: Path, crashes: int = 0, delay: float = 0) -> Path:
    """A supervisor ``t:workers`` of a sleeping WASM guest (``sleepy``), a Python waiter
    (``calm``) and a child that crashes ``crashes`` times before it settles (``flaky``)."""
    write_yaml(folder, POOL, BIN, SLEEPER, WAITER, CRASHER, supervisor(
        "workers",
        {"id": "sleepy", "process": "t:sleeper", "args": [600_000]},
        {"id": "calm", "process": "t:waiter", "args": ["calm"]},
        {"id": "flaky", "process": "t:crasher", "args": ["flaky", crashes, delay]},
        intensity=max(10, 2 * crashes), period="60s",
    ))
    (folder / "workers.py").write_text(WORKERS)
    return folder


class Started:
    """A `wippy start` subprocess, stopped (SIGKILL at worst) by :meth:`close`."""

    def __init__(self, cache: Path, folder: Path, *options: str, ready: str) -> None:
        self.proc: subprocess.Popen[str] = popen(cache, "-C", str(folder), "start", *options)
        self.head = read_until(self.proc.stdout, ready)

    def read_until(self, needle: str) -> list[str]:
        """More of its stdout, up to a line with ``needle``."""
        lines = read_until(self.proc.stdout, needle)
        self.head += lines
        return lines

    def read_all_of(self, *needles: str) -> None:
        """Reads its stdout until every one of ``needles`` was on some line (any order)."""
        while not all(any(n in line for line in self.head) for n in needles):
            self.head += read_until(self.proc.stdout, "")

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Waits for it to exit; its status and the rest of its output."""
        return finish(self.proc, timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    """Every line parsed as a JSON object (fails on one that is not)."""
    parsed = []
    for line in lines:
        item = json.loads(line)
        assert isinstance(item, dict), line
        parsed.append(item)
    return parsed


def eventually(check: Any, timeout: float = 30.0, pause: float = 0.1) -> Any:
    """Calls ``check()`` until it returns something true; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(pause)
