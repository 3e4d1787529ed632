"""`wippy ps`, `stop` and `restart-child` against a real `wippy start`, and the control
socket's permissions and refusals (no app, a stale socket, a second start, another user)."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.console import run
from tests.cli.observe_apps import Started, eventually, tree_app
from wippy.observe import ControlClient, ControlError

SOCKET = Path(".wippy") / "control.sock"


@pytest.fixture
def started(cache: Path, tmp_path: Path) -> Iterator[Started]:
    app = tmp_path / "app"
    tree_app(app, crashes=2)
    running = Started(cache, app, ready="Ctrl-C or SIGTERM stops the app")
    try:
        running.read_all_of("flaky: settled", "calm: running", "flaky: running")
        yield running
    finally:
        running.close()


def ps_rows(out: str) -> dict[str, list[str]]:
    """The process rows of `wippy ps`, by NAME column (pid prefix drawn as a tree)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PID"))
    header = lines[start]
    bounds = [m.start() for m in re.finditer(r"\S+(?: \S+)?", header)]
    rows = {}
    for line in lines[start + 1:]:
        cells = [line[a:b].strip() for a, b in zip(bounds, [*bounds[1:], None])]
        rows[cells[1]] = cells
    return rows


def test_ps_shows_the_tree_with_states_restarts_and_mailboxes(
        cache: Path, tmp_path: Path, started: Started) -> None:
    app = tmp_path / "app"
    result = run(cache, "-C", str(app), "ps")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0].split() == ["HOST", "STATE", "WORKERS", "BUSY", "RUNNABLE",
                                           "QUEUED", "THREADS", "BUSY", "TIME"]
    assert re.search(r"^t:pool +running +4 ", out, re.MULTILINE), out
    rows = ps_rows(out)
    sup = next(cells for cells in rows.values() if cells[2] == "t:workers")
    assert sup[3] == "supervisor" and sup[5] == "suspended receive"
    assert re.fullmatch(r"<t:pool\.\d+>", sup[0])
    sleepy, calm, flaky = rows["sleepy"], rows["calm"], rows["flaky"]
    assert sleepy[0].startswith("├─ <t:pool.") and flaky[0].startswith("└─ <t:pool.")
    assert (sleepy[2], sleepy[3], sleepy[5], sleepy[7]) == ("t:sleeper", "wasm",
                                                           "suspended sleep", "0")
    assert (calm[2], calm[3], calm[5], calm[7]) == ("t:waiter", "function",
                                                    "suspended receive", "0")
    assert flaky[7] == "2"  # it crashed twice and was restarted twice
    assert all(cells[8] == "0" for cells in (sleepy, calm, flaky))
    assert re.fullmatch(r"\d+\.\ds", sleepy[6])

    as_json = run(cache, "-C", str(app), "ps", "--json")
    snapshot = json.loads(as_json.stdout)
    by_child = {p["child_id"]: p for p in snapshot["processes"] if p["child_id"]}
    assert by_child["flaky"]["restarts"] == 2
    assert by_child["sleepy"]["state"] == "suspended" and by_child["sleepy"]["on"] == "sleep"
    assert snapshot["counters"]["restarts"] == {"t:workers": 2}
    assert snapshot["counters"]["exits"]["exception"] == 2
    assert by_child["flaky"]["parent"] == sup[0]


def test_restart_child_restarts_a_running_child(
        cache: Path, tmp_path: Path, started: Started) -> None:
    app = tmp_path / "app"
    before = ps_rows(run(cache, "-C", str(app), "ps").stdout)["calm"][0].split()[-1]
    result = run(cache, "-C", str(app), "restart-child", "t:workers", "calm")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"wippy: restarted calm of t:workers: <t:pool\.\d+> \(was "
                        + re.escape(before) + r"\)\n", result.stdout)
    started.read_until("calm: running")
    after = ps_rows(run(cache, "-C", str(app), "ps").stdout)["calm"]
    assert after[0].split()[-1] != before and after[5] == "suspended receive"
    missing = run(cache, "-C", str(app), "restart-child", "t:workers", "nope")
    assert missing.returncode == 1
    assert missing.stderr == ("wippy restart-child: error: t:workers has no child 'nope' "
                              "(children: sleepy, calm, flaky)\n")
    nosup = run(cache, "-C", str(app), "restart-child", "t:nope", "calm")
    assert nosup.returncode == 1
    assert "no supervisor 't:nope' is running (supervisors: t:workers)" in nosup.stderr


def test_stop_stops_the_app_in_order_and_removes_the_socket(
        cache: Path, tmp_path: Path, started: Started) -> None:
    app = tmp_path / "app"
    result = run(cache, "-C", str(app), "stop")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"wippy: stopping the app \(pid \d+\)\nwippy: stopped\n", result.stdout)
    status, out, err = started.finish()
    assert status == 0, err
    lines = out.splitlines()
    assert "wippy: stop requested (`wippy stop`): stopping the app" in lines
    assert "t:workers: shutdown - cancelled: app stopping" in out
    assert lines[-1] == "wippy: stopped"
    assert not (app / SOCKET).exists()
    gone = run(cache, "-C", str(app), "ps")
    assert gone.returncode == 1
    assert gone.stderr == (f"wippy ps: error: no app is running here: there is no control "
                           f"socket {app / SOCKET} (`wippy start` creates it)\n")


def test_the_socket_is_for_its_owner_only(cache: Path, tmp_path: Path, started: Started) -> None:
    app = tmp_path / "app"
    mode = os.stat(app / SOCKET).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(os.stat(app / ".wippy").st_mode) == 0o700
    if os.getuid() != 0:
        pytest.skip("checking another user's access needs root (to become nobody)")
    # Another user may not even reach it (the folder is 0700, the socket 0600): a forked
    # child that became nobody gets the client's refusal.
    message = as_nobody(lambda: connect_message(app / SOCKET))
    assert message.startswith(f"permission denied: the control socket {app / SOCKET} belongs "
                              "to "), message  # to root, or "another user" when unseen
    assert message.endswith(", and only its owner may use it")


def connect_message(path: Path) -> str:
    try:
        ControlClient.connect(path).close()
    except ControlError as exc:
        return str(exc)
    return "connected"


def as_nobody(action: Callable[[], str]) -> str:
    """Runs ``action`` in a forked child with uid/gid 65534; returns what it returned."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(writer, action().encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(child, 0)
    return text


def test_a_second_start_of_a_running_app_is_refused(
        cache: Path, tmp_path: Path, started: Started) -> None:
    app = tmp_path / "app"
    second = run(cache, "-C", str(app), "start", timeout=60)
    assert second.returncode == 1
    pid = started.proc.pid
    assert second.stderr == (
        f"wippy start: error: the app is already running (pid {pid}): its control socket "
        f"{app / SOCKET} answers; stop it with `wippy stop` first\n"
        "wippy: the app was not started\n")
    assert second.stdout == ""
    assert run(cache, "-C", str(app), "ps").returncode == 0  # the first one is untouched


def test_a_stale_socket_is_reported_and_replaced(cache: Path, tmp_path: Path) -> None:
    app = tree_app(tmp_path / "app")
    first = Started(cache, app, ready="Ctrl-C or SIGTERM stops the app")
    try:
        first.proc.send_signal(signal.SIGKILL)  # dies without removing its socket
        first.proc.wait(30)
    finally:
        first.close()
    assert (app / SOCKET).exists()
    stale = run(cache, "-C", str(app), "ps")
    assert stale.returncode == 1
    assert stale.stderr == (f"wippy ps: error: the control socket {app / SOCKET} is stale: the "
                            "`wippy start` that created it is no longer running (the next "
                            "`wippy start` removes it)\n")
    again = Started(cache, app, ready="Ctrl-C or SIGTERM stops the app")
    try:
        assert eventually(lambda: run(cache, "-C", str(app), "ps").returncode == 0)
        again.proc.send_signal(signal.SIGTERM)
        status, _, err = again.finish()
        assert status == 0
        assert f"removing the stale control socket {app / SOCKET}" in err
    finally:
        again.close()


def test_a_path_that_is_not_a_socket_is_refused(cache: Path, tmp_path: Path) -> None:
    app = tree_app(tmp_path / "app")
    (app / ".wippy").mkdir()
    (app / SOCKET).write_text("not a socket")
    result = run(cache, "-C", str(app), "start", timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(f"wippy start: error: {app / SOCKET} exists and is not a "
                                    "socket: move it away\n")
    assert run(cache, "-C", str(app), "ps").stderr == (
        f"wippy ps: error: {app / SOCKET} exists and is not a socket: move it away\n")


def test_bad_command_lines_are_usage_errors(cache: Path, tmp_path: Path) -> None:
    app = tree_app(tmp_path / "app")
    bad = run(cache, "-C", str(app), "start", "--metrics", "nowhere")
    assert bad.returncode == 2
    assert bad.stderr == ("wippy start: error: --metrics 'nowhere': expected HOST:PORT, such "
                          "as 127.0.0.1:9464\n")
    port = run(cache, "-C", str(app), "start", "--metrics", "127.0.0.1:99999")
    assert port.returncode == 2 and "the port must be a number from 0 to 65535" in port.stderr
    both = run(cache, "-C", str(app), "start", "--no-control", "--control", "x.sock")
    assert both.returncode == 2 and "contradict" in both.stderr
    assert run(cache, "-C", str(app), "stop", "--timeout", "0").returncode == 2
    assert run(cache, "-C", str(app), "restart-child", "only-one").returncode == 2
