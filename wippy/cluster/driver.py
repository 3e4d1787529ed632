"""The cluster as the node that loaded the app sees it (``rt.cluster``): node 0's router, the
Ray session, one actor per other node, and the nodes' lives (loss, restart, kill)."""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from wippy.actors.host import HostStats
from wippy.cluster.errors import ClusterError
from wippy.cluster.outbox import Outbox
from wippy.cluster.ray_setup import RaySession, node_actor_class, placeable, placement
from wippy.cluster.router import Router, host_directory
from wippy.cluster.transport import Heartbeat, Puller, Pusher
from wippy.config import LOCAL_NODE, ClusterRay, Registry, cluster_entry

logger = logging.getLogger(__name__)

START_TIMEOUT = 120.0
"""How long a node's actor may take to start (Ray starts a worker, the registry loads)."""
_REVIVE_POLL = 0.5


@dataclass(frozen=True)
class NodeInfo:
    """One node as :meth:`Cluster.nodes` reports it: its key, whether it is ``up``, its
    incarnation, its hosts (with their stats when it is up) and its process count."""

    key: str
    up: bool
    epoch: int
    hosts: dict[str, HostStats | None]
    processes: int | None


class Cluster(Router):
    """Node 0 of a ``cluster.ray`` app; the runtime's :attr:`~wippy.actors.Runtime.cluster`.

    Raises ClusterError (from the runtime's constructor) when Ray is missing, the cluster
    cannot be started or joined, or a node's actor does not start.
    """

    def __init__(self, registry: Registry) -> None:
        entry = cluster_entry(registry.entries)
        assert entry is not None
        super().__init__(LOCAL_NODE, host_directory(registry), entry.heartbeat)
        self.entry: ClusterRay = entry
        self._registry = registry
        self._session: RaySession | None = None
        self._actors: dict[str, Any] = {}
        self._epochs: dict[str, int] = {}
        self._life = threading.Lock()
        self._reviving: set[str] = set()
        self._stop_flag = threading.Event()
        self._revivers: list[threading.Thread] = []
        self.on_lost(self._lost)

    def attach(self, runtime: Any) -> None:
        """Starts or joins Ray, then every other node's actor, and links them all."""
        super().attach(runtime)
        self._session = RaySession(self.entry)
        started = time.monotonic()
        others = [key for key in self.nodes() if key != LOCAL_NODE]
        pending = {key: self._make_actor(key, 0) for key in others}
        for key in others:
            self._actors[key] = self._start(key, 0, pending[key])
        self._link_all(others)
        logger.info("cluster %s: %d nodes up in %.1f s", self.entry.id, len(others) + 1,
                    time.monotonic() - started)

    # -- nodes ----------------------------------------------------------------------------------

    def _make_actor(self, key: str, epoch: int) -> Any:
        self._epochs[key] = epoch
        options = placement(key)
        return node_actor_class().options(**options).remote(
            key, epoch, pickle.dumps(self._registry), pickle.dumps(self.heartbeat),
            [p or os.getcwd() for p in sys.path], logging.getLogger("wippy").getEffectiveLevel(),
        )

    def _start(self, key: str, epoch: int, actor: Any) -> Any:
        """Waits until node ``key``'s ``actor`` is ready, making it again when Ray placed it
        on a Ray node that was dying; returns the actor that started."""
        ray = self._ray()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                ray.get(actor.ready.remote(), timeout=max(1.0, deadline - time.monotonic()))
                return actor
            except ray.exceptions.ActorDiedError as exc:
                if time.monotonic() > deadline:
                    raise ClusterError(f"node {key} did not start ({self._where(key)}): "
                                       f"{exc}") from exc
                logger.info("the actor of node %s died while starting; making it again", key)
                time.sleep(0.5)
                actor = self._make_actor(key, epoch)
            except Exception as exc:
                raise ClusterError(f"node {key} did not start ({self._where(key)}): "
                                   f"{type(exc).__name__}: {exc}") from exc

    def _where(self, key: str) -> str:
        options = placement(key)
        return f"placed by {options.get('resources') or 'node id ' + key}"

    def _link_all(self, keys: list[str]) -> None:
        """Links node 0 to ``keys`` and every node to every other (``keys`` are new)."""
        ray = self._ray()
        everyone = {k: (self._epochs[k], a) for k, a in self._actors.items() if self.is_up(k)
                    or k in keys}
        everyone[LOCAL_NODE] = (0, None)
        calls = []
        for key, (_, actor) in everyone.items():
            if actor is None:
                continue
            wanted = everyone if key in keys else {k: everyone[k] for k in keys}
            calls.append(actor.connect.remote(wanted))
        ray.get(calls, timeout=START_TIMEOUT)
        for key in keys:
            actor = self._actors[key]
            outbox = Outbox()
            workers = [
                Pusher(outbox, actor, LOCAL_NODE, 0, key),
                Puller(actor, LOCAL_NODE, key, self.inbound.apply),
                Heartbeat(actor, key, self.heartbeat, self.node_lost, LOCAL_NODE),
            ]
            self.connect(key, self._epochs[key], outbox, workers)

    def node_infos(self, timeout: float = 10.0) -> list[NodeInfo]:
        """Every node with its hosts: node 0 from here, the others asked (down: no stats)."""
        runtime = self.runtime
        infos = [NodeInfo(LOCAL_NODE, True, 0,
                          {h: runtime.host_stats(h) for h in runtime.hosts},
                          runtime.stats().processes)]
        for key in self.nodes():
            if key == LOCAL_NODE:
                continue
            hosts: dict[str, HostStats | None] = {h: None for h in self.hosts_of(key)}
            info: dict[str, Any] | None = None
            if self.is_up(key):
                try:
                    info = self.requests.call(key, "info", (), timeout=timeout)
                except Exception as exc:
                    logger.info("node %s did not report: %s", key, exc)
            if info is not None:
                hosts.update(info["hosts"])
            infos.append(NodeInfo(key, info is not None, self._epochs.get(key, 0), hosts,
                                  None if info is None else info["processes"]))
        return infos

    def kill_node(self, node: int | str) -> None:
        """Ends ``node`` the hard way, as a machine that dies: with ``address: local`` its
        simulated Ray node is killed (raylet, workers and all); otherwise its actor is killed.
        Nothing is told to anyone: the heartbeats find out. Raises ValueError for node 0 or a
        node the app does not have."""
        key = self._key(node)
        session = self._session
        assert session is not None
        if session.simulated and session.kill_node(key):
            logger.warning("killed simulated node %s", key)
            return
        actor = self._actors.get(key)
        if actor is not None:
            self._ray().kill(actor, no_restart=True)
            logger.warning("killed the actor of node %s", key)

    def restart_node(self, node: int | str) -> None:
        """Brings a killed simulated node back (``address: local``): a new Ray node with its
        resource; its actor is made again once placeable (with ``restart_nodes``)."""
        key = self._key(node)
        session = self._session
        assert session is not None
        session.add_node(key)

    def wait_node(self, node: int | str, up: bool = True, timeout: float = 30.0) -> bool:
        """Waits until ``node`` is up (or down); True when it is."""
        key = self._key(node)
        deadline = time.monotonic() + timeout
        while self.is_up(key) != up:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def _key(self, node: int | str) -> str:
        key = str(node)
        if key == LOCAL_NODE:
            raise ValueError("node 0 is this process; it cannot be killed or restarted")
        if key not in self.nodes():
            raise ValueError(f"the app has no node {key!r} (nodes: {', '.join(self.nodes())})")
        return key

    # -- loss and revival ---------------------------------------------------------------------

    def _lost(self, key: str) -> None:
        actor = self._actors.get(key)
        if actor is not None:
            try:
                self._ray().kill(actor, no_restart=True)  # a node declared lost stays lost
            except Exception:
                logger.debug("killing the lost actor of node %s failed", key, exc_info=True)
        if self.entry.restart_nodes and not self._stop_flag.is_set():
            with self._life:
                if key in self._reviving:
                    return
                self._reviving.add(key)
            thread = threading.Thread(target=self._revive, args=(key,), daemon=True,
                                      name=f"wippy-revive-{key}")
            self._revivers.append(thread)
            thread.start()

    def _revive(self, key: str) -> None:
        """Makes node ``key`` again once Ray can place it (its Ray node is back)."""
        try:
            while not self._stop_flag.wait(_REVIVE_POLL):
                try:
                    if not placeable(key):
                        continue
                    epoch = self._epochs.get(key, 0) + 1
                    actor = self._start(key, epoch, self._make_actor(key, epoch))
                    if self._stop_flag.is_set():
                        self._ray().kill(actor, no_restart=True)
                        return
                    self._actors[key] = actor
                    self._link_all([key])
                    logger.warning("node %s is back (incarnation %d)", key, epoch)
                    return
                except Exception as exc:
                    logger.info("node %s could not be made again yet: %s", key, exc)
        finally:
            with self._life:
                self._reviving.discard(key)

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stops every node (its runtime drains as on a normal stop), the links, and Ray when
        it was started here. Idempotent."""
        self._stop_flag.set()
        self.quiesce()
        ray = self._ray() if self._session is not None else None
        actors = [(k, a) for k, a in self._actors.items() if self.is_up(k)]
        if ray is not None and actors:
            try:
                ray.get([a.quiesce.remote() for _, a in actors], timeout=10.0)
                ray.get([a.stop.remote() for _, a in actors], timeout=60.0)
            except Exception as exc:
                logger.warning("stopping the nodes: %s: %s", type(exc).__name__, exc)
        time.sleep(0.3)  # the pullers take the nodes' last items
        super().close()
        for thread in self._revivers:
            thread.join(timeout=5.0)
        if ray is not None:
            for _, actor in self._actors.items():
                try:
                    ray.kill(actor, no_restart=True)
                except Exception:
                    logger.debug("killing a node actor failed", exc_info=True)
        self._actors.clear()
        if self._session is not None:
            self._session.close()
            self._session = None

    @staticmethod
    def _ray() -> Any:
        from wippy.cluster.ray_setup import import_ray

        return import_ray()
