"""One look at a running app as plain data: its hosts, processes, supervisors' children and
counters, in the JSON form the control socket serves and ``wippy ps --json`` prints.

A snapshot is built from :meth:`Runtime.processes`, :meth:`Runtime.host_stats` and
:meth:`Runtime.counters`, plus one ``which_children`` request per supervisor (answered between
its other work; a supervisor too busy to answer within :data:`CHILDREN_TIMEOUT` is shown without
its children's restart counts).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from typing import Any

from wippy.actors import SUPERVISION, ProcessInfo, Runtime
from wippy.supervisors import AppRuntime, Supervisor, SupervisorError

log = logging.getLogger(__name__)

SCHEMA = 1
"""The version of the snapshot's layout (bumped when a field changes meaning)."""

CHILDREN_TIMEOUT = 0.5
"""Seconds a supervisor has to answer ``which_children`` for a snapshot."""


def process_data(info: ProcessInfo) -> dict[str, Any]:
    """One process as JSON-ready data (pids as their printed form)."""
    return {
        "pid": str(info.pid),
        "entry": info.entry,
        "host": info.host,
        "kind": info.kind,
        "state": info.state,
        "on": info.on,
        "spawned_at": info.spawned_at,
        "age": round(info.age, 3),
        "mailbox": info.mailbox,
        "messages": info.messages,
        "names": list(info.names),
        "parent": str(info.parent) if info.parent is not None else None,
        "fuel_used": info.fuel_used,
        "memory_bytes": info.memory_bytes,
        "child_id": None,
        "restarts": None,
    }


def _children(rt: Runtime, sup: ProcessInfo) -> list[dict[str, Any]] | None:
    name = sup.entry or "supervisor"
    try:
        children = Supervisor(rt, sup.pid, name).which_children(timeout=CHILDREN_TIMEOUT)
    except SupervisorError as exc:
        log.debug("no children of %s %s in the snapshot: %s", name, sup.pid, exc)
        return None
    return [
        {
            "id": child.id,
            "pid": str(child.pid) if child.pid is not None else None,
            "state": child.state,
            "type": child.type,
            "process": child.process,
            "restarts": child.restarts,
        }
        for child in children
    ]


def counters_data(rt: Runtime) -> dict[str, Any]:
    """The runtime's counters as JSON-ready totals (by host, kind, supervisor)."""
    counters = rt.counters()
    spawns_by_host: Counter[str] = Counter()
    for (host, _), n in counters.spawns.items():
        spawns_by_host[host] += n
    exits_by_host: Counter[str] = Counter()
    for (host, _, _), n in counters.exits.items():
        exits_by_host[host] += n
    return {
        "spawns": sum(counters.spawns.values()),
        "spawns_by_host": dict(spawns_by_host),
        "exits": counters.exits_by_kind(),
        "exits_by_host": dict(exits_by_host),
        "messages": counters.messages,
        "restarts": counters.reports(SUPERVISION, "restarted"),
        "give_ups": counters.reports(SUPERVISION, "give_up"),
        "fuel": counters.fuel,
    }


def hosts_data(rt: Runtime) -> list[dict[str, Any]]:
    """Every host with its settings and its scheduler's state now."""
    rows = []
    for host_id, config in rt.hosts.items():
        stats = rt.host_stats(host_id)
        rows.append({
            "id": host_id,
            "state": stats.state.value,
            "workers": config.workers,
            "busy": stats.running,
            "runnable": stats.runnable,
            "queued": stats.queued,
            "threads": stats.threads,
            "busy_seconds": round(stats.busy_seconds, 6),
        })
    return rows


def take(rt: Runtime, *, app: str | None = None, started_at: float | None = None,
         children: bool = True) -> dict[str, Any]:
    """A snapshot of ``rt`` (see the module documentation); ``children=False`` skips the
    supervisors' ``which_children`` requests (no restart counts per child)."""
    now = time.time()
    infos = rt.processes()
    processes = [process_data(info) for info in infos]
    by_pid = {row["pid"]: row for row in processes}
    supervisors: dict[str, list[dict[str, Any]]] = {}
    if children:
        for info in infos:
            if info.kind != "supervisor":
                continue
            listed = _children(rt, info)
            if listed is None:
                continue
            supervisors[str(info.pid)] = listed
            for child in listed:
                row = by_pid.get(child["pid"]) if child["pid"] else None
                if row is not None:
                    row["child_id"] = child["id"]
                    row["restarts"] = child["restarts"]
    items = []
    if isinstance(rt, AppRuntime):
        items = [
            {"entry": item.entry_id, "kind": item.kind, "pid": str(item.pid), "state": item.state}
            for item in rt.app_status()
        ]
    return {
        "schema": SCHEMA,
        "time": now,
        "app": app,
        "wippy_pid": os.getpid(),
        "started_at": started_at,
        "hosts": hosts_data(rt),
        "processes": processes,
        "supervisors": supervisors,
        "app_items": items,
        "counters": counters_data(rt),
    }
