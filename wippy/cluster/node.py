"""The Ray actor of one node: it holds that node's wippy runtime for as long as the node lives.

Every node loads the same registry; only the hosts placed on the node are created there.
Processes stay wippy processes on that runtime's schedulers (never one Ray actor each). Peers
push batches into :meth:`NodeActor.deliver`; the node that loaded the app (not an actor) pulls
what is queued for it with :meth:`NodeActor.poll`; :meth:`NodeActor.ping` is the heartbeat.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from typing import Any

from wippy.cluster.outbox import Outbox, PolledOutbox
from wippy.cluster.router import Router, host_directory
from wippy.cluster.transport import Heartbeat, Pusher
from wippy.config import Heartbeat as HeartbeatSettings

logger = logging.getLogger(__name__)


class NodeActor:
    """One node: ``key``, its incarnation ``epoch``, the pickled registry and heartbeat
    settings, the import paths of the node that loaded the app and its log level. Made a Ray
    actor by :func:`wippy.cluster.ray_setup.node_actor_class`."""

    def __init__(
        self, key: str, epoch: int, registry: bytes, heartbeat: bytes, paths: list[str],
        log_level: int,
    ) -> None:
        for path in reversed(paths):
            if path not in sys.path and os.path.isdir(path):
                sys.path.insert(0, path)
        logging.basicConfig(level=log_level, stream=sys.stderr,
                            format=f"node {key}: %(levelname)s %(name)s: %(message)s")
        from wippy.actors import Runtime

        loaded = pickle.loads(registry)
        settings: HeartbeatSettings = pickle.loads(heartbeat)
        self._key = key
        self._router = Router(key, host_directory(loaded), settings, epoch=epoch)
        wippy_logger = logging.getLogger("wippy")
        wippy_logger.setLevel(log_level)
        wippy_logger.addHandler(_ToNodeZero(self._router, log_level))
        wippy_logger.propagate = False  # node 0 shows what matters; Ray's log files keep the rest
        self._outboxes: dict[str, Outbox] = {}
        self._runtime = Runtime(loaded, remote=self._router, output=self._router.output_sink)
        logger.info("node %s (incarnation %d) started: hosts %s", key, epoch,
                    ", ".join(self._runtime.hosts) or "none")

    def ready(self) -> dict[str, Any]:
        """What runs here: node, incarnation, hosts and their stats, process count."""
        info: dict[str, Any] = self._router.requests._info()
        info["pid"] = os.getpid()
        return info

    def connect(self, peers: dict[str, tuple[int, Any]]) -> None:
        """Links to ``peers`` (key -> (incarnation, actor handle; None for the node that loaded
        the app, which pulls))."""
        for key, (epoch, actor) in peers.items():
            if key == self._key:
                continue
            if actor is None:
                outbox: Outbox = PolledOutbox()
                workers = []
            else:
                outbox = Outbox()
                settings = self._router.heartbeat
                workers = [
                    Pusher(outbox, actor, self._key, self._router.epoch, key),
                    Heartbeat(actor, key, settings, self._router.node_lost, self._key),
                ]
            self._outboxes[key] = outbox
            self._router.connect(key, epoch, outbox, workers)

    def deliver(self, sender: str, epoch: int, seq: int, blobs: list[bytes]) -> bool:
        """Applies a batch pushed by ``sender``; False when it should be sent again later."""
        return self._router.inbound.receive(sender, epoch, seq, blobs)

    def poll(self, reader: str, ack: int, wait: float) -> tuple[int, list[bytes]]:
        """The next batch queued for ``reader`` (node 0), after the ``ack``-th."""
        outbox = self._outboxes.get(reader)
        if not isinstance(outbox, PolledOutbox):
            return ack, []
        return outbox.poll(ack, wait)

    def ping(self) -> str:
        """The heartbeat: answers at once with this node's key."""
        return self._key

    def quiesce(self) -> None:
        """The cluster is stopping: peers that stop from now on are not declared lost."""
        self._router.quiesce()

    def stop(self, join_timeout: float = 10.0) -> None:
        """Stops the node's runtime (its hosts drain as on a normal stop; the last EXITs still
        go out), then its links."""
        self._router.quiesce()
        self._runtime.stop(join_timeout)
        logger.info("node %s stopped", self._key)


class _ToNodeZero(logging.Handler):
    """Sends a node's wippy log records to node 0 (written to this worker's stderr, which Ray
    keeps in its log files, while node 0 is not connected)."""

    def __init__(self, router: Router, level: int) -> None:
        super().__init__(level)
        self._router = router
        self._fallback = logging.StreamHandler(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        """Forwards ``record``, or writes it here."""
        try:
            if not self._router.forward_log(record):
                self._fallback.emit(record)
        except Exception:
            self.handleError(record)
