"""The ``cluster.ray`` kind: run the app's hosts on several wippy nodes of a Ray cluster.

Also what a ``process.host``'s ``node`` field means: :func:`node_key` turns it into the key that
names a node everywhere (``"0"`` is the node that loaded the app).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import Field, field_validator

from .common import ConfigModel
from .kinds import Entry, register_kind
from .units import Duration

__all__ = [
    "CLUSTER_KIND",
    "LOCAL_NODE",
    "ClusterRay",
    "Heartbeat",
    "NodeField",
    "check_node_field",
    "cluster_entry",
    "node_key",
]

CLUSTER_KIND = "cluster.ray"

LOCAL_NODE = "0"
"""The key of the node that loaded the app (where ``wippy.load`` or ``wippy start`` runs)."""

NodeField = int | str | None
"""A host's ``node``: None or 0 (the loading node), a simulated node's number, or a string (a
Ray node id or a custom resource)."""

_RAY_ADDRESS = re.compile(r"ray://[^\s/:]+:\d{1,5}")
_NODE_NAME = re.compile(r"[A-Za-z0-9_.:-]+")


def check_node_field(value: object) -> NodeField:
    """Validates a ``node`` value: an int >= 0 or a non-empty name of letters, digits and
    ``_ . : -`` that is not all digits. Raises ValueError saying what is wrong."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("node must be a number or a name, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"node must be >= 0, got {value}")
        return value
    if isinstance(value, str):
        if value.isdigit():
            raise ValueError(f"write a node number without quotes (node: {value}), got {value!r}")
        if not _NODE_NAME.fullmatch(value):
            raise ValueError(
                f"node must be a Ray node id or a custom resource name (letters, digits, "
                f"_ . : -), got {value!r}"
            )
        return value
    raise ValueError(f"node must be a number or a name, got {type(value).__name__}")


def node_key(node: NodeField) -> str:
    """The key naming the node of a host's ``node`` field: ``"0"`` for None and 0, the number
    as text, or the name itself. Never raises."""
    if node is None:
        return LOCAL_NODE
    return str(node)


class Heartbeat(ConfigModel):
    """How a node finds out that a peer is lost: a ping every ``interval``, each allowed
    ``timeout``; ``misses`` missed in a row and the peer is declared lost (about
    ``interval + misses * timeout`` after it died: 2 s with the defaults)."""

    interval: Duration = 0.5
    timeout: Duration = 0.5
    misses: int = Field(default=3, ge=1)

    @field_validator("interval", "timeout")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError("must be greater than zero")
        return value


@register_kind(CLUSTER_KIND)
class ClusterRay(Entry):
    """Runs the app on a Ray cluster: every node loads the same registry, and each
    ``process.host`` with a ``node`` runs on that node, in one long-lived Ray actor per node.

    ``address``: ``local`` starts Ray on this machine (with ``local_nodes`` simulated extra
    nodes, numbered 1..n), ``auto`` joins the running cluster Ray finds (``RAY_ADDRESS`` or the
    one started on this machine), ``ray://HOST:PORT`` joins through Ray Client. With
    ``restart_nodes``, a lost node's actor is made again when Ray can place it.
    """

    address: str = "local"
    local_nodes: int = Field(default=0, ge=0, le=16)
    heartbeat: Heartbeat = Heartbeat()
    restart_nodes: bool = True

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if value in ("local", "auto") or _RAY_ADDRESS.fullmatch(value):
            return value
        raise ValueError(f"address must be local, auto or ray://HOST:PORT, got {value!r}")

    def check_fields(self) -> list[tuple[str | None, str]]:
        """``local_nodes`` only means something with ``address: local``."""
        if self.local_nodes and self.address != "local":
            return [("local_nodes", "local_nodes needs address: local (it simulates nodes on "
                                    "this machine); a joined cluster has its own nodes")]
        return []

    def on_load(self, entries: Mapping[str, Entry]) -> list[tuple[str | None, str]]:
        """Reports a second cluster entry, and hosts whose ``node`` number this cluster does
        not simulate (with ``address: local``)."""
        problems: list[tuple[str | None, str]] = []
        others = [e.id for e in entries.values() if e.kind == CLUSTER_KIND and e.id != self.id]
        if others:
            problems.append((None, f"an app has one cluster entry; also {', '.join(others)}"))
        if self.address == "local":
            for entry in entries.values():
                node = getattr(entry, "node", None)
                if isinstance(node, int) and node > self.local_nodes:
                    simulated = (f"nodes 1..{self.local_nodes}" if self.local_nodes > 1
                                 else "node 1" if self.local_nodes else "no other node")
                    problems.append((None, f"host {entry.id} is on node {node}, but this cluster "
                                           f"simulates {simulated} "
                                           f"(local_nodes: {self.local_nodes})"))
        return problems


def cluster_entry(entries: Mapping[str, Entry]) -> ClusterRay | None:
    """The app's ``cluster.ray`` entry, or None. Never raises."""
    for entry in entries.values():
        if isinstance(entry, ClusterRay):
            return entry
    return None
