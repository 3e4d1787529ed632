"""`wippy top`: a live view of a running app (a Textual app on its control socket).

Every ``interval`` seconds it takes a snapshot (on a worker thread, so the screen stays
responsive) and redraws in place: a summary with rates (spawns, exits, restarts and messages per
second, from the change of the app's counters), each host's run queue and worker use, and the
process tree. Keys: ``s`` cycles the sort, ``/`` filters, ``t`` terminates the selected process
(after ``y``), ``q`` quits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Key
from textual.widgets import DataTable, Footer, Input, Static

from ..observe import ControlClient, ControlError
from ..observe.tree import COLUMNS, SORTS, age_text, aligned, cells, rows
from .control import fail


def rates(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, float]:
    """Spawns, exits, restarts and messages per second between two snapshots (zeros for the
    first)."""
    if previous is None:
        return {"spawns": 0.0, "exits": 0.0, "restarts": 0.0, "messages": 0.0}
    elapsed = max(1e-6, current["time"] - previous["time"])
    before, now = previous["counters"], current["counters"]

    def total(counters: dict[str, Any], key: str) -> float:
        value = counters.get(key, 0)
        return float(sum(value.values()) if isinstance(value, dict) else value)

    return {key: max(0.0, total(now, key) - total(before, key)) / elapsed
            for key in ("spawns", "exits", "restarts", "messages")}


def host_lines(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """Each host: state, workers busy of all, run-queue depth, starting, worker use since the
    previous snapshot."""
    before = {h["id"]: h for h in (previous or {}).get("hosts", [])}
    elapsed = max(1e-6, current["time"] - previous["time"]) if previous else None
    body = []
    for host in current.get("hosts", []):
        old = before.get(host["id"])
        use = "-"
        if old is not None and elapsed is not None and host["workers"]:
            busy = (host["busy_seconds"] - old["busy_seconds"]) / elapsed / host["workers"]
            use = f"{max(0.0, min(1.0, busy)) * 100:.0f}%"
        body.append([host["id"], host["state"], f"{host['busy']}/{host['workers']}",
                     str(host["runnable"]), str(host["queued"]), use])
    return aligned(("HOST", "STATE", "BUSY", "RUN QUEUE", "STARTING", "WORKER USE"), body)


class TopApp(App[int]):
    """The live view; exits with 0 on ``q``, 1 when the app goes away."""

    ENABLE_COMMAND_PALETTE = False
    CSS = "#summary { height: auto; } #filter { display: none; } DataTable { height: 1fr; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_top", "quit"),
        Binding("s", "cycle_sort", "sort"),
        Binding("slash", "open_filter", "filter"),
        Binding("t", "ask_terminate", "terminate"),
        Binding("escape", "clear_filter", "clear filter", show=False),
    ]

    def __init__(self, client: ControlClient, interval: float) -> None:
        super().__init__()
        self._client = client
        self._interval = interval
        self._previous: dict[str, Any] | None = None
        self._snapshot: dict[str, Any] | None = None
        self._sort = "pid"
        self._filter = ""
        self._confirm: str | None = None  # the pid waiting for y to be terminated
        self._status = ""

    def compose(self) -> ComposeResult:
        yield Static("connecting...", id="summary")
        yield Input(placeholder="filter (Enter to apply, Esc to clear)", id="filter")
        yield DataTable(id="processes", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.fetch()
        self.set_interval(self._interval, self.fetch)

    # -- data -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="fetch")
    def fetch(self) -> None:
        """Takes a snapshot on a worker thread and shows it."""
        try:
            snapshot = self._client.request("snapshot")
        except ControlError as exc:
            self.call_from_thread(self._gone, str(exc))
            return
        self.call_from_thread(self._show, snapshot)

    def _gone(self, why: str) -> None:
        self.exit(1, message=f"wippy top: the app is gone: {why}")

    def _show(self, snapshot: dict[str, Any]) -> None:
        self._previous, self._snapshot = self._snapshot, snapshot
        self._draw()

    def _draw(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        per_second = rates(self._previous, snapshot)
        started = snapshot.get("started_at")
        up = age_text(snapshot["time"] - started) if started else "-"
        live = len(snapshot.get("processes", []))
        lines = [
            f"wippy top  {snapshot.get('app') or ''}  pid {snapshot.get('wippy_pid')}  "
            f"up {up}  {live} processes  sort: {self._sort}  filter: {self._filter or '-'}",
            "per second: " + "  ".join(f"{k} {v:.1f}" for k, v in per_second.items()),
            *host_lines(self._previous, snapshot),
        ]
        if self._status:
            lines.append(self._status)
        self.query_one("#summary", Static).update("\n".join(lines))
        table = self.query_one(DataTable)
        selected = self._selected_key()
        table.clear()
        keep = 0
        for index, row in enumerate(rows(snapshot, self._sort, self._filter)):
            key = row.pid or f"child:{row.supervisor}:{(row.child or {}).get('id')}"
            table.add_row(*cells(row), key=key)
            if key == selected:
                keep = index
        if table.row_count:
            table.move_cursor(row=keep, scroll=False)

    def _selected_key(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # the cursor is outside the rows (the table just shrank)
            return None
        return str(key) if key is not None else None

    # -- keys -----------------------------------------------------------------------------

    def action_quit_top(self) -> None:
        """q: leave."""
        self.exit(0)

    def action_cycle_sort(self) -> None:
        """s: the next sort key."""
        self._sort = SORTS[(SORTS.index(self._sort) + 1) % len(SORTS)]
        self._draw()

    def action_open_filter(self) -> None:
        """/: type a filter."""
        field = self.query_one(Input)
        field.display = True
        field.value = self._filter
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter: apply it."""
        self._filter = event.value.strip()
        event.input.display = False
        self.query_one(DataTable).focus()
        self._draw()

    def action_clear_filter(self) -> None:
        """Esc: no filter; also cancels a pending terminate."""
        self._filter = ""
        self._confirm = None
        self._status = ""
        field = self.query_one(Input)
        field.display = False
        self.query_one(DataTable).focus()
        self._draw()

    def action_ask_terminate(self) -> None:
        """t: ask to terminate the selected process."""
        key = self._selected_key()
        if key is None or key.startswith("child:"):
            self._status = "no process selected"
        else:
            self._confirm = key
            self._status = f"terminate {key}? press y to confirm, any other key to cancel"
        self._draw()

    def on_key(self, event: Key) -> None:
        """``y`` after ``t`` terminates; any other key cancels the question."""
        if self._confirm is None or event.key == "t":
            return
        pid, self._confirm = self._confirm, None
        if event.key != "y":
            self._status = f"not terminated: {pid}"
        else:
            try:
                self._client.request("terminate", pid=pid)
                self._status = f"terminated {pid}"
            except ControlError as exc:
                self._status = f"cannot terminate {pid}: {exc}"
        event.stop()
        self._draw()


def top(path: Path, interval: float) -> int:
    """Runs the live view of the app whose control socket is ``path`` until ``q``."""
    try:
        client = ControlClient.connect(path)
    except ControlError as exc:
        return fail("top", exc)
    with client:
        status = TopApp(client, interval).run()
    return 0 if status is None else int(status)
