"""Ray itself: starting or joining it, simulated nodes, and where a node's actor is placed.

Ray is imported here only, and only for an app with a ``cluster.ray`` entry. With ``address:
local`` Ray is started on this machine bound to 127.0.0.1 (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``
makes it use the loopback address), without dashboard or usage statistics, as a head node plus
``local_nodes`` simulated nodes (``ray.cluster_utils.Cluster``), node ``n`` offering the custom
resource ``wippy_node_n``. A joined cluster (``auto``, ``ray://``) places numbered nodes by that
resource too, and string nodes by Ray node id or custom resource. Ray's own log forwarding is
off when wippy connects (``log_to_driver=False``): guest output and the nodes' wippy log records
come to node 0 through wippy's own links, and Ray keeps everything in its log files. The reports
Ray's driver prints of a dead raylet (its last 20 log lines) go to the ``wippy.cluster.ray`` log
instead: wippy reports the lost node itself.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from wippy.cluster.errors import ClusterError
from wippy.cluster.signals import init_ray, shutdown_ray
from wippy.config import ClusterRay

logger = logging.getLogger(__name__)

NODE_RESOURCE = "wippy_node_{}"
"""The custom resource that marks the Ray node where wippy node ``n`` runs."""
_NODE_ID = re.compile(r"[0-9a-f]{56}")
_ENVIRONMENT = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # bind to 127.0.0.1, contact no other address
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DEDUP_LOGS": "0",
}
LOCAL_HEALTH_CHECK = {
    "health_check_period_ms": 500,
    "health_check_timeout_ms": 500,
    "health_check_failure_threshold": 4,
}
"""Ray's own node health check for a cluster started here (default: about 15 s to mark a dead
node dead): a node killed on this machine is marked dead in about 2 s, so Ray does not place a
restarted node's actor on the dead one. wippy's heartbeats do not depend on it."""
_actor_class: Any = None


def import_ray() -> Any:
    """Imports Ray (after setting its environment); raises ClusterError when it is missing."""
    for name, value in _ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        import ray
    except ImportError as exc:
        raise ClusterError(
            f"a cluster.ray entry needs Ray, which is not installed ({exc}): "
            "pip install 'wippy[cluster]'"
        ) from None
    return ray


_ray_log = logging.getLogger("wippy.cluster.ray")


def _log_raylet_reports() -> None:
    """Sends what Ray's driver would print about raylets (a dead node's last log lines) to the
    ``wippy.cluster.ray`` log: its first line at INFO, the whole text at DEBUG. Leaves Ray as it
    is when its driver has no such printer (another Ray version)."""
    try:
        from ray._private import worker
    except ImportError:
        return
    printer = getattr(worker, "print_to_stdstream", None)
    if printer is None or getattr(printer, "wippy_wrapped", False):
        return

    def print_or_log(data: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        if not isinstance(data, dict) or data.get("pid") != "raylet":
            printer(data, *args, **kwargs)
            return
        text = "\n".join(str(line) for line in data.get("lines", ()))
        _ray_log.info("Ray: %s", text.split("\n", 1)[0].strip())
        _ray_log.debug("Ray: %s", text)

    print_or_log.wippy_wrapped = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = print_or_log


def node_actor_class() -> Any:
    """:class:`~wippy.cluster.node.NodeActor` as a threaded Ray actor class (made once)."""
    global _actor_class
    if _actor_class is None:
        ray = import_ray()
        from wippy.cluster.node import NodeActor

        _actor_class = ray.remote(num_cpus=0, max_concurrency=64, max_restarts=0)(NodeActor)
    return _actor_class


def placement(key: str) -> dict[str, Any]:
    """Ray options that place node ``key``'s actor: by ``wippy_node_n`` for a number, by node
    id (hard affinity) for a Ray node id, else by the custom resource of that name."""
    if key.isdigit():
        return {"resources": {NODE_RESOURCE.format(key): 0.001}}
    if _NODE_ID.fullmatch(key):
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        return {"scheduling_strategy": NodeAffinitySchedulingStrategy(key, soft=False)}
    return {"resources": {key: 0.001}}


def placeable(key: str) -> bool:
    """True when some live Ray node can host node ``key`` now."""
    ray = import_ray()
    want = None if _NODE_ID.fullmatch(key) else (
        NODE_RESOURCE.format(key) if key.isdigit() else key
    )
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        if want is None and node.get("NodeID") == key:
            return True
        if want is not None and node.get("Resources", {}).get(want, 0) > 0:
            return True
    return False


class RaySession:
    """Ray as this app uses it: started here (``address: local``, owned: shut down on
    :meth:`close`) or joined. :meth:`kill_node` ends a simulated node the hard way."""

    def __init__(self, entry: ClusterRay) -> None:
        self._entry = entry
        self._ray = import_ray()
        self._cluster: Any = None
        self._simulated: dict[str, Any] = {}
        self._connected_here = False
        ray = self._ray
        if entry.address == "local":
            if ray.is_initialized():
                raise ClusterError(
                    f"{entry.id}: Ray is already running in this process; use address: auto to "
                    "join it, or address: local in a process that has not started Ray"
                )
            self._start_local(entry.local_nodes)
        elif ray.is_initialized():
            logger.info("joining the Ray cluster this process is connected to (if this process "
                        "called ray.init itself, wippy.cluster.init_ray keeps guest traps "
                        "working)")
        else:
            try:
                init_ray(address=entry.address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
                _log_raylet_reports()
            except Exception as exc:
                raise ClusterError(f"{entry.id}: cannot join the Ray cluster at "
                                   f"{entry.address}: {type(exc).__name__}: {exc}") from exc
            self._connected_here = True

    def _start_local(self, extra: int) -> None:
        from ray.cluster_utils import Cluster

        logger.info("starting Ray on 127.0.0.1 with %d simulated nodes", extra)
        try:
            self._cluster = Cluster(
                initialize_head=True,
                head_node_args={"num_cpus": 1, "include_dashboard": False,
                                "node_ip_address": "127.0.0.1",
                                "_system_config": LOCAL_HEALTH_CHECK},
            )
            address = self._cluster.address
            if not address.startswith("127.0.0.1:"):
                raise ClusterError(
                    f"Ray bound to {address}, not 127.0.0.1: Ray was imported before wippy could "
                    "set RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0; set it before importing ray"
                )
            for n in range(1, extra + 1):
                self.add_node(str(n))
            init_ray(address=self._cluster.address, log_to_driver=False,
                     configure_logging=False)
            _log_raylet_reports()
        except Exception as exc:
            self.close()
            raise ClusterError(f"cannot start Ray here: {type(exc).__name__}: {exc}") from exc
        self._connected_here = True

    @property
    def simulated(self) -> bool:
        """True when Ray was started here with simulated nodes (``address: local``)."""
        return self._cluster is not None

    def add_node(self, key: str) -> None:
        """Adds the simulated Ray node of wippy node ``key`` (``address: local`` only)."""
        if self._cluster is None:
            raise ClusterError("only an address: local cluster simulates nodes")
        if key in self._simulated:
            raise ClusterError(f"simulated node {key} is already running")
        self._simulated[key] = self._cluster.add_node(
            num_cpus=1, resources={NODE_RESOURCE.format(key): 1}, node_ip_address="127.0.0.1"
        )

    def kill_node(self, key: str) -> bool:
        """Ends the simulated Ray node of ``key`` at once (its raylet and workers killed, as a
        machine that dies); False when ``key`` is not a simulated node."""
        node = self._simulated.pop(key, None)
        if node is None or self._cluster is None:
            return False
        self._cluster.remove_node(node, allow_graceful=False)
        return True

    def close(self) -> None:
        """Shuts Ray down if it was started or joined here; leaves a joined session alone."""
        ray = self._ray
        if self._connected_here and ray.is_initialized():
            shutdown_ray()
        if self._cluster is not None:
            try:
                self._cluster.shutdown()
            except Exception:
                logger.exception("shutting the local Ray cluster down failed")
            self._cluster = None
        self._simulated.clear()
