"""wippy.cluster: wippy nodes on a Ray cluster (a ``cluster.ray`` entry).

Every node loads the same registry and runs the hosts placed on it (``process.host`` field
``node``) in one long-lived Ray actor per node; the node that loaded the app is node 0. Pids
name their node through their host, so ``send``, ``monitor``, ``link``, ``cancel``,
``terminate`` and names work across nodes with the same API. A lost node (found by heartbeats)
leaves EXIT and LINK_DOWN events of kind ``noconnection`` for everything watched there.

Importing this package does not import Ray: that happens only when an app with a cluster
entry starts (``wippy.load``, ``Runtime(registry)``).
"""

from __future__ import annotations

from wippy.actors.remote import register_remote_kind
from wippy.config.cluster import CLUSTER_KIND

from .driver import Cluster, NodeInfo
from .errors import NOCONNECTION_KIND, ClusterError, NodeDownError, NotTransferableError
from .router import Router
from .signals import init_ray, shutdown_ray
from .wire import NotSent

register_remote_kind(CLUSTER_KIND, Cluster)

__all__ = [
    "NOCONNECTION_KIND",
    "Cluster",
    "ClusterError",
    "NodeDownError",
    "NodeInfo",
    "NotSent",
    "NotTransferableError",
    "Router",
    "init_ray",
    "shutdown_ray",
]
