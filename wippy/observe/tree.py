"""The process tree of a snapshot, as rows of text cells: what ``wippy ps`` prints and
``wippy top`` shows.

Each process sits under the process that spawned it (a supervisor's children under it), roots
in creation order. A supervisor's child that is not running (``stopped``, ``restarting``) gets a
row of its own without a pid. Siblings can be sorted by a column; a filter shows the matching
rows only, flat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

COLUMNS = ("PID", "NAME", "ENTRY", "KIND", "HOST", "STATE", "AGE", "RESTARTS", "MAILBOX")
"""The columns of a process row, in order."""

HOST_COLUMNS = ("HOST", "STATE", "WORKERS", "BUSY", "RUNNABLE", "QUEUED", "THREADS", "BUSY TIME")
"""The columns of a host row, in order."""

SORTS = ("pid", "mailbox", "age", "restarts", "state", "entry")
"""The keys siblings can be sorted by (``pid``: creation order, the default)."""

_STATE_ORDER = {"running": 0, "runnable": 1, "starting": 2, "suspended": 3, "restarting": 4,
                "stopped": 5}


@dataclass(frozen=True)
class Row:
    """One line of the tree: ``prefix`` draws the branches; ``process`` is the process's data
    from the snapshot, or ``child`` a supervisor's child that has no process now."""

    prefix: str
    process: dict[str, Any] | None
    child: dict[str, Any] | None = None
    supervisor: str | None = None

    @property
    def pid(self) -> str | None:
        """The pid of the row's process (None for a child that is not running)."""
        return self.process["pid"] if self.process is not None else None


def _pid_order(pid: str) -> tuple[str, int]:
    host, _, number = pid.strip("<>").rpartition(".")
    return (host, int(number)) if number.isdigit() else (pid, 0)


def _sort_key(sort: str) -> Callable[[Row], Any]:
    def key(row: Row) -> Any:
        data = row.process or {}
        pid = _pid_order(row.pid) if row.pid else ("~", 0)
        if sort == "mailbox":
            return (-(data.get("mailbox") or 0), pid)
        if sort == "age":
            return (-(data.get("age") or 0.0), pid)
        if sort == "restarts":
            restarts = data.get("restarts") if row.process else (row.child or {}).get("restarts")
            return (-(restarts or 0), pid)
        if sort == "state":
            state = data.get("state") or (row.child or {}).get("state", "")
            return (_STATE_ORDER.get(state, 9), pid)
        if sort == "entry":
            return (str(data.get("entry") or (row.child or {}).get("process", "")), pid)
        return pid

    return key


def rows(snapshot: dict[str, Any], sort: str = "pid", filter_text: str = "") -> list[Row]:
    """The snapshot's processes as tree rows (or, with ``filter_text``, the matching ones flat).

    Raises ValueError for a sort key not in :data:`SORTS`.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
    processes: list[dict[str, Any]] = snapshot.get("processes", [])
    by_pid = {p["pid"]: p for p in processes}
    kids: dict[str | None, list[Row]] = {}
    for data in processes:
        parent = data.get("parent")
        kids.setdefault(parent if parent in by_pid else None, []).append(Row("", data))
    for sup, children in snapshot.get("supervisors", {}).items():
        for child in children:
            if child.get("pid") is None and sup in by_pid:
                kids.setdefault(sup, []).append(Row("", None, child, sup))
    key = _sort_key(sort)
    if filter_text:
        needle = filter_text.lower()
        flat = [row for group in kids.values() for row in group if needle in _text(row)]
        return sorted(flat, key=key)
    out: list[Row] = []

    def walk(parent: str | None, lead: str) -> None:
        group = sorted(kids.get(parent, []), key=key)
        for index, row in enumerate(group):
            last = index == len(group) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            out.append(Row(lead + branch, row.process, row.child, row.supervisor))
            if row.pid is not None:
                walk(row.pid, lead + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    return out


def _text(row: Row) -> str:
    return " ".join(cells(row)).lower()


def age_text(seconds: float | None) -> str:
    """A short age: ``4.2s``, ``3m05s``, ``2h07m``, ``3d04h``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def state_text(data: dict[str, Any]) -> str:
    """``running``, ``runnable``, ``starting``, or ``suspended`` with what it waits on."""
    state = str(data.get("state", "?"))
    on = data.get("on")
    return f"{state} {on}" if state == "suspended" and on else state


def cells(row: Row) -> list[str]:
    """The row's cells, one per :data:`COLUMNS` column."""
    data = row.process
    if data is None:
        child = row.child or {}
        restarts = child.get("restarts")
        return [row.prefix + "-", str(child.get("id", "")), str(child.get("process", "")),
                str(child.get("type", "")), "-", str(child.get("state", "")), "-",
                "-" if restarts is None else str(restarts), "-"]
    name = data.get("child_id") or ",".join(data.get("names") or []) or "-"
    restarts = data.get("restarts")
    return [
        row.prefix + data["pid"],
        name,
        str(data.get("entry") or "-"),
        str(data.get("kind", "")),
        str(data.get("host", "")),
        state_text(data),
        age_text(data.get("age")),
        "-" if restarts is None else str(restarts),
        str(data.get("mailbox", 0)),
    ]


def host_cells(host: dict[str, Any]) -> list[str]:
    """A host's cells, one per :data:`HOST_COLUMNS` column."""
    return [
        str(host["id"]), str(host["state"]), str(host["workers"]), str(host["busy"]),
        str(host["runnable"]), str(host["queued"]), str(host["threads"]),
        f"{host['busy_seconds']:.2f}s",
    ]


def aligned(header: tuple[str, ...], body: list[list[str]]) -> list[str]:
    """Lines of left-aligned columns separated by two spaces (no trailing blanks)."""
    widths = [max([len(header[c])] + [len(line[c]) for line in body]) for c in range(len(header))]
    return [
        "  ".join(cell.ljust(widths[c]) for c, cell in enumerate(line)).rstrip()
        for line in [list(header), *body]
    ]
