"""`wippy ps`, `wippy stop` and `wippy restart-child`: commands that talk to a running
`wippy start` through its control socket."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..observe import ControlClient, ControlError, socket_path, wait_gone
from ..observe.tree import COLUMNS, HOST_COLUMNS, aligned, cells, host_cells, rows


def resolve_socket(config: str, socket: str | None) -> Path:
    """The control socket a command uses: ``--socket``, else the app's (``-C``)."""
    return Path(socket) if socket else socket_path(config)


def fail(command: str, error: Exception) -> int:
    """Prints ``wippy COMMAND: error: ...`` on stderr; returns 1."""
    print(f"wippy {command}: error: {error}", file=sys.stderr)
    return 1


def ps_lines(snapshot: dict[str, Any]) -> list[str]:
    """The hosts table, a blank line, then the process tree, as ``wippy ps`` prints them."""
    hosts = aligned(HOST_COLUMNS, [host_cells(h) for h in snapshot.get("hosts", [])])
    tree = aligned(COLUMNS, [cells(row) for row in rows(snapshot)])
    return [*hosts, "", *tree]


def ps(path: Path, as_json: bool) -> int:
    """Prints the running app's hosts and process tree (or the snapshot as JSON)."""
    try:
        with ControlClient.connect(path) as client:
            snapshot = client.request("snapshot")
    except ControlError as exc:
        return fail("ps", exc)
    if as_json:
        print(json.dumps(snapshot, indent=2, sort_keys=True))
    else:
        print("\n".join(ps_lines(snapshot)))
    return 0


def stop(path: Path, timeout: float) -> int:
    """Asks the running app to stop as SIGTERM does and waits up to ``timeout`` s for it to
    be gone. 0 when it stopped, 1 when it could not be reached or did not stop in time."""
    try:
        with ControlClient.connect(path) as client:
            who = client.request("hello")
            answer = client.request("stop")
    except ControlError as exc:
        return fail("stop", exc)
    pid = who.get("pid") if isinstance(who, dict) else None
    state = answer.get("stopping") if isinstance(answer, dict) else None
    already = "; it was already stopping" if state == "already stopping" else ""
    print(f"wippy: stopping the app (pid {pid}){already}")
    if not wait_gone(path, timeout):
        return fail("stop", ControlError(f"the app (pid {pid}) has not stopped within "
                                         f"{timeout:g}s; it is still stopping its processes"))
    print("wippy: stopped")
    return 0


def restart_child(path: Path, supervisor: str, child: str) -> int:
    """Restarts ``child`` of ``supervisor`` in the running app."""
    try:
        with ControlClient.connect(path) as client:
            result = client.request("restart_child", supervisor=supervisor, child=child)
    except ControlError as exc:
        return fail("restart-child", exc)
    old = result.get("old_pid")
    was = f" (was {old})" if old else ""
    print(f"wippy: restarted {result['child']} of {result['supervisor']}: {result['pid']}{was}")
    return 0
