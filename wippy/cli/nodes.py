"""What `wippy start` shows of a cluster app: each node with its hosts, and nodes that are lost
or come back while it runs."""

from __future__ import annotations

from ..cluster import Cluster
from .check import count
from .events import EventLog

Row = tuple[str, str, str, str]


def cluster_rows(cluster: Cluster) -> tuple[list[Row], int, str]:
    """The table rows of every node and its hosts, the number of hosts, and ``" on N nodes"``
    for the headline."""
    rows: list[Row] = []
    hosts = 0
    infos = cluster.node_infos()
    for info in infos:
        where = "this process" if info.key == "0" else f"incarnation {info.epoch}"
        rows.append(("node", info.key, "", f"{'up' if info.up else 'down'} ({where})"))
        for host_id, stats in info.hosts.items():
            hosts += 1
            state = stats.state.value if stats is not None else "unreachable"
            rows.append(("host", host_id, f"node {info.key}", state))
    return rows, hosts, f" on {count(len(infos), 'node')}"


def follow_nodes(cluster: Cluster, log_: EventLog) -> None:
    """Reports a node when it is lost and when it is back."""
    cluster.on_lost(lambda key: log_.node(key, lost=True))
    cluster.on_connected(lambda key: log_.node(key, lost=False))
