"""`wippy top` driven in tmux: keys sent, the pane captured, what it shows checked."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.console import WIPPY, env, run
from tests.cli.observe_apps import Started, tree_app

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None,
    reason="tmux is not installed (apt-get install tmux; .ci/run installs it for CI)",
)

SESSION = "wippy-top-test"


def tmux(*args: str) -> str:
    result = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30,
                            check=False)
    return result.stdout


def screen() -> str:
    return tmux("capture-pane", "-t", SESSION, "-p")


def wait_for(check: str | re.Pattern[str], timeout: float = 30.0) -> str:
    """The pane once it shows ``check`` (a substring or a pattern); fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        shown = screen()
        found = check in shown if isinstance(check, str) else check.search(shown)
        if found:
            return shown
        assert time.monotonic() < deadline, f"{check!r} not shown; the pane:\n{shown}"
        time.sleep(0.1)


@pytest.fixture
def top(cache: Path, tmp_path: Path) -> Iterator[Started]:
    app = tree_app(tmp_path / "app")
    running = Started(cache, app, ready="Ctrl-C or SIGTERM stops the app")
    running.read_all_of("calm: running", "flaky: running")
    command = " ".join(f"'{part}'" for part in (str(WIPPY), "-C", str(app), "top",
                                                 "--interval", "0.3"))
    tmux("kill-session", "-t", SESSION)
    environment = env(cache)
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "150", "-y", "40",
         f"{command}; echo top-exited-$?; sleep 60"],
        check=True, timeout=30, env={**environment, "TERM": "xterm-256color"},
    )
    try:
        yield running
    finally:
        tmux("kill-session", "-t", SESSION)
        running.close()


def row_of(shown: str, name: str) -> str:
    return next(line for line in shown.splitlines() if re.search(rf"\s{name}\s", line))


def test_top_shows_the_tree_sorts_filters_and_terminates(cache: Path, tmp_path: Path,
                                                          top: Started) -> None:
    shown = wait_for("sleepy")
    assert re.search(r"wippy top .* \d+ processes  sort: pid  filter: -", shown), shown
    assert "per second: spawns" in shown
    assert re.search(r"t:pool +running +\d/4 +0 +0 ", shown), shown  # the host's queue
    assert "suspended sleep" in row_of(shown, "sleepy")
    assert "suspended receive" in row_of(shown, "calm")
    assert "└─ <t:pool." in shown and "t:workers" in shown

    tmux("send-keys", "-t", SESSION, "s")
    wait_for("sort: mailbox")
    tmux("send-keys", "-t", SESSION, "/")
    time.sleep(0.5)
    tmux("send-keys", "-t", SESSION, "sleeper", "Enter")
    shown = wait_for("filter: sleeper")
    assert "sleepy" in shown and " calm " not in shown and "t:workers " not in shown

    old = re.search(r"<t:pool\.\d+>", row_of(shown, "sleepy"))
    assert old is not None
    tmux("send-keys", "-t", SESSION, "t")
    wait_for(f"terminate {old.group()}? press y to confirm")
    tmux("send-keys", "-t", SESSION, "y")
    wait_for(f"terminated {old.group()}")
    # the supervisor restarts it: a new pid, one restart
    shown = wait_for(re.compile(r"sleepy +t:sleeper +wasm +t:pool +suspended sleep +\S+ +1 "))
    assert old.group() not in row_of(shown, "sleepy")
    ps = run(cache, "-C", str(tmp_path / "app"), "ps")
    assert re.search(r"sleepy +t:sleeper .* 1 +0$", ps.stdout, re.MULTILINE), ps.stdout

    tmux("send-keys", "-t", SESSION, "q")
    wait_for("top-exited-0")


def test_top_says_when_the_app_goes_away(cache: Path, tmp_path: Path, top: Started) -> None:
    wait_for("sleepy")
    assert run(cache, "-C", str(tmp_path / "app"), "stop").returncode == 0
    shown = wait_for("top-exited-1")
    assert "wippy top: the app is gone" in shown
