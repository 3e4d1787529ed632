"""What ``wippy check`` checks of a cluster app, without starting Ray: Ray is installed, the
cluster's address is reachable, and supervisors and services run on node 0."""

from __future__ import annotations

import importlib.util
import os
import socket
from pathlib import Path

from wippy.config import (
    LOCAL_NODE,
    ClusterRay,
    Problem,
    ProcessService,
    ProcessSupervisor,
    Registry,
    cluster_entry,
)
from wippy.config.cluster import CLUSTER_KIND

from .router import host_directory

CONNECT_TIMEOUT = 2.0
"""How long ``check`` waits for the cluster's address to accept a connection."""
_CURRENT_CLUSTER = Path("/tmp/ray/ray_current_cluster")
"""Where ``ray start`` (and a local Ray) writes the address of the cluster running here."""


def cluster_problems(registry: Registry) -> list[Problem]:
    """The problems of the app's ``cluster.ray`` entry (none without one)."""
    entry = cluster_entry(registry.entries)
    if entry is None:
        return []
    problems: list[Problem] = []
    if importlib.util.find_spec("ray") is None:
        problems.append(Problem(entry.source, entry.id, None,
                                "Ray is not installed: pip install 'wippy[cluster]'"))
    elif entry.address != "local":
        message = _unreachable(entry)
        if message is not None:
            problems.append(Problem(entry.source, entry.id, "address", message))
    directory = host_directory(registry)
    for item in registry:
        if isinstance(item, (ProcessSupervisor, ProcessService)):
            node = directory.get(str(item.host), LOCAL_NODE)
            if node != LOCAL_NODE:
                what = "a supervisor" if isinstance(item, ProcessSupervisor) else "a service"
                problems.append(Problem(item.source, item.id, "host", (
                    f"{what} runs on node 0 (its host {item.host} is on node {node}); "
                    f"its children may run on any node of the {CLUSTER_KIND} cluster")))
    return problems


def _unreachable(entry: ClusterRay) -> str | None:
    """Why the cluster at ``entry.address`` cannot be reached, or None when it accepts a
    connection."""
    if entry.address == "auto":
        found = os.environ.get("RAY_ADDRESS") or _read(_CURRENT_CLUSTER)
        if not found:
            return ("address auto: no running Ray cluster found (no RAY_ADDRESS, nothing "
                    f"in {_CURRENT_CLUSTER}); start one with `ray start --head`")
        address = found.removeprefix("ray://")
    else:
        address = entry.address.removeprefix("ray://")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return f"cannot read the Ray address {address!r} (HOST:PORT expected)"
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT):
            return None
    except OSError as exc:
        return (f"the Ray cluster at {host}:{port} does not answer: "
                f"{exc.strerror or type(exc).__name__}")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
