"""One node's view of the cluster: where every host lives, a link per peer, and routing.

A :class:`Router` is the :class:`~wippy.actors.remote.Remote` of one node's runtime. Pids name
their node through their host (host ids are unique across an app): the host directory maps host
-> node, and handle pids use the host ``local`` on node 0 and ``local@N`` on node N. What goes to
another node is pickled into that peer's outbox (:mod:`.outbox`), moved by the threads of
:mod:`.transport`, and applied there by :mod:`.inbound`; calls that need an answer (spawn, is
alive, host control) are requests answered through the outboxes too (:mod:`.requests`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wippy.actors.events import Event, Message, ProcessError, Received
from wippy.actors.output import write_through
from wippy.actors.pid import Pid
from wippy.actors.runtime import HANDLE_HOST
from wippy.actors.start_watch import StartWatch
from wippy.cluster import wire
from wippy.cluster.errors import NodeDownError, noconnection
from wippy.cluster.inbound import Inbound
from wippy.cluster.outbox import Outbox
from wippy.cluster.requests import Requests
from wippy.cluster.transport import _Worker
from wippy.config import LOCAL_NODE, Heartbeat, ProcessHost, Registry, TerminalHost, node_key

logger = logging.getLogger(__name__)

HANDLE_PREFIX = HANDLE_HOST + "@"
PID_BLOCK = 1_000_000
"""A node restarted for the n-th time numbers its pids from ``n * PID_BLOCK + 1``."""


def handle_host(node: str) -> str:
    """The host name of the handle pids of ``node``: ``local`` on node 0, else ``local@N``."""
    return HANDLE_HOST if node == LOCAL_NODE else HANDLE_PREFIX + node


def host_directory(registry: Registry) -> dict[str, str]:
    """Host id -> node key for every host of the app (``terminal.host``: node 0)."""
    directory: dict[str, str] = {}
    for entry in registry:
        if isinstance(entry, ProcessHost):
            directory[entry.id] = node_key(entry.node)
        elif isinstance(entry, TerminalHost):
            directory[entry.id] = LOCAL_NODE
    return directory


@dataclass(eq=False)
class Peer:
    """Another node as this one sees it: its incarnation, its outbox, the threads of the link,
    and the last batch number applied from it."""

    key: str
    epoch: int
    outbox: Outbox
    workers: list[_Worker] = field(default_factory=list)
    up: bool = True
    last_in: int = 0
    inbound_lock: threading.Lock = field(default_factory=threading.Lock)


class Router:
    """Routes one node's processes to the others; see the module documentation.

    ``directory`` maps host ids to node keys; ``epoch`` is how many times this node was
    restarted. Thread-safe.
    """

    def __init__(
        self, node: str, directory: Mapping[str, str], heartbeat: Heartbeat, *, epoch: int = 0
    ) -> None:
        self.node = node
        self.epoch = epoch
        self.handle_host = handle_host(node)
        self.first_pid = epoch * PID_BLOCK + 1
        self.heartbeat = heartbeat
        self._directory = dict(directory)
        self._lock = threading.Lock()
        self._peers: dict[str, Peer] = {}
        self._names: dict[str, Pid] = {}
        self._runtime: Any = None
        self._closing = False
        self._lost_listeners: list[Callable[[str], None]] = []
        self._up_listeners: list[Callable[[str], None]] = []
        self.requests = Requests(self)
        self.inbound = Inbound(self)

    # -- the directory ----------------------------------------------------------------------

    def node_of(self, host: str) -> str | None:
        """The node of ``host`` (a host id or a handle host), or None when unknown."""
        key = self._directory.get(host)
        if key is not None:
            return key
        if host == HANDLE_HOST:
            return LOCAL_NODE
        if host.startswith(HANDLE_PREFIX):
            return host[len(HANDLE_PREFIX):]
        return None

    def nodes(self) -> list[str]:
        """Every node key of the app, node 0 first."""
        keys = set(self._directory.values()) | {LOCAL_NODE}
        return sorted(keys, key=lambda k: (k != LOCAL_NODE, not k.isdigit(), int(k) if
                                           k.isdigit() else 0, k))

    def hosts_of(self, node: str) -> list[str]:
        """The host ids placed on ``node``."""
        return [host for host, key in self._directory.items() if key == node]

    def is_remote(self, pid: Pid) -> bool:
        """True when ``pid``'s host is on another node."""
        key = self.node_of(pid.host)
        return key is not None and key != self.node

    def owns_host(self, host_id: str) -> bool:
        """True when ``host_id`` is placed on another node."""
        key = self._directory.get(host_id)
        return key is not None and key != self.node

    def peer(self, key: str) -> Peer | None:
        """The peer ``key`` while it is up, else None."""
        peer = self._peers.get(key)
        return peer if peer is not None and peer.up else None

    def is_up(self, key: str) -> bool:
        """True when ``key`` is this node or a connected peer that is not lost."""
        return key == self.node or self.peer(key) is not None

    def _peer_of(self, pid: Pid) -> Peer | None:
        key = self.node_of(pid.host)
        return None if key is None else self.peer(key)

    @property
    def runtime(self) -> Any:
        """The runtime this router serves (set by :meth:`attach`)."""
        return self._runtime

    def attach(self, runtime: Any) -> None:
        """Binds to the node's runtime."""
        self._runtime = runtime

    # -- peers --------------------------------------------------------------------------------

    def connect(self, key: str, epoch: int, outbox: Outbox, workers: list[_Worker]) -> None:
        """Adds (or replaces, for a restarted node) the peer ``key`` with its link's threads,
        starts them, and tells it the names registered here."""
        with self._lock:
            old = self._peers.get(key)
            peer = Peer(key, epoch, outbox, workers)
            self._peers[key] = peer
        if old is not None:
            self._stop_peer(old)
        for worker in workers:
            worker.start()
        for name, pid in self._runtime.table.names().items():
            if not self.is_remote(pid):
                outbox.put(wire.dumps((wire.NAME_ADDED, name, pid)))
        logger.info("node %s: connected to node %s (incarnation %d)", self.node, key, epoch)
        for listener in self._up_listeners:
            try:
                listener(key)
            except Exception:
                logger.exception("node-up listener failed")

    def on_lost(self, listener: Callable[[str], None]) -> None:
        """Calls ``listener(node)`` (on the detecting thread) when a peer is declared lost."""
        self._lost_listeners.append(listener)

    def on_connected(self, listener: Callable[[str], None]) -> None:
        """Calls ``listener(node)`` when a peer is connected (at start or when it is back)."""
        self._up_listeners.append(listener)

    def node_lost(self, key: str, *, announced: bool = False) -> None:
        """Declares the peer ``key`` lost: its outbox is dropped, requests to it fail with
        NodeDownError, every monitor of its processes here gets EXIT and every link LINK_DOWN
        with kind ``noconnection``, its names are forgotten; the other peers are told unless
        ``announced`` (they told us). No-op when it is not up or while closing."""
        with self._lock:
            peer = self._peers.get(key)
            if peer is None or not peer.up or self._closing:
                return
            peer.up = False
            self._names = {n: p for n, p in self._names.items() if self.node_of(p.host) != key}
            others = [p for p in self._peers.values() if p.up]
        dropped = peer.outbox.close()
        self._stop_peer(peer)
        self.requests.fail_node(key)
        fired = self._runtime.table.peer_lost(
            lambda pid: self.node_of(pid.host) == key, noconnection(key)
        )
        logger.warning("node %s: node %s is lost (%d monitors and links fired, %d items not "
                       "sent)", self.node, key, fired, dropped)
        if not announced:
            blob = wire.dumps((wire.NODE_DOWN, key))
            for other in others:
                other.outbox.put(blob)
        for listener in self._lost_listeners:
            try:
                listener(key)
            except Exception:
                logger.exception("node-lost listener failed")

    @staticmethod
    def _stop_peer(peer: Peer) -> None:
        for worker in peer.workers:
            worker.stop()

    def quiesce(self) -> None:
        """The cluster is stopping: from now on no peer is declared lost."""
        with self._lock:
            self._closing = True

    def close(self) -> None:
        """Stops every link (without declaring anything lost; what is queued still goes out,
        for a little while) and the request threads."""
        with self._lock:
            self._closing = True
            peers = list(self._peers.values())
        for peer in peers:
            self._stop_peer(peer)
        for peer in peers:
            for worker in peer.workers:
                if worker.is_alive() and worker is not threading.current_thread():
                    worker.join(timeout=2.0)
        self.requests.close()

    @property
    def closing(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closing

    # -- RemoteRouter: what the table asks --------------------------------------------------

    def deliver(self, pid: Pid, item: Received) -> bool:
        """Queues ``item`` for ``pid`` on its node; False when the node is down. Raises
        NotTransferableError for a message whose payload cannot be pickled."""
        peer = self._peer_of(pid)
        if peer is None:
            return False
        if type(item) is Message:
            blob = wire.message(pid, item)
        else:
            assert isinstance(item, Event)
            blob = wire.event_item(wire.EVENT, pid, item)
        return peer.outbox.put(blob)

    def _send(self, pid: Pid, item: tuple[Any, ...]) -> bool:
        peer = self._peer_of(pid)
        return peer is not None and peer.outbox.put(wire.dumps(item))

    def monitor(self, watcher: Pid, target: Pid) -> None:
        """Asks ``target``'s node for its EXIT; EXIT ``noconnection`` now if the node is down."""
        if not self._send(target, (wire.MONITOR, watcher, target)):
            self._runtime.table.remote_exit(
                watcher, Event("EXIT", target, error=self._down_error(target))
            )

    def unmonitor(self, watcher: Pid, target: Pid) -> None:
        """Withdraws a monitor of the remote ``target``."""
        self._send(target, (wire.DEMONITOR, watcher, target))

    def link(self, local: Pid, remote: Pid) -> None:
        """Links across nodes; LINK_DOWN ``noconnection`` now if ``remote``'s node is down."""
        if not self._send(remote, (wire.LINK, local, remote)):
            self._runtime.table.remote_link_gone(local, remote, self._down_error(remote))

    def unlink(self, local: Pid, remote: Pid) -> None:
        """Removes the link on ``remote``'s side."""
        self._send(remote, (wire.UNLINK, local, remote))

    def watch_start(self, watcher: Pid, target: Pid, ack: bool) -> None:
        """Asks ``target``'s node for its STARTED (nothing when the node is down: the
        watcher's monitor brings the EXIT)."""
        self._send(target, (wire.WATCH_START, watcher, target, ack))

    def unwatch_start(self, watcher: Pid, target: Pid, ack: bool) -> None:
        """Withdraws a :meth:`watch_start`."""
        self._send(target, (wire.UNWATCH_START, watcher, target, ack))

    def exit_notice(self, watcher: Pid, event: Event) -> None:
        """Sends the EXIT of a local process to its remote monitor ``watcher``."""
        peer = self._peer_of(watcher)
        if peer is not None:
            peer.outbox.put(wire.event_item(wire.EXIT, watcher, event))

    def link_notice(self, remote: Pid, pid: Pid, error: ProcessError | None) -> None:
        """Tells ``remote``'s node that the local ``pid`` linked to it exited."""
        self._send(remote, (wire.LINK_EXIT, remote, pid, wire.portable_error(error)))

    def unmonitor_notice(self, pid: Pid, target: Pid) -> None:
        """The local ``pid`` that monitored the remote ``target`` exited."""
        self._send(target, (wire.DEMONITOR, pid, target))

    def name_added(self, name: str, pid: Pid) -> None:
        """Announces a name registered here to every peer."""
        self._broadcast((wire.NAME_ADDED, name, pid))

    def name_removed(self, name: str, pid: Pid) -> None:
        """Announces that a name registered here was freed."""
        self._broadcast((wire.NAME_REMOVED, name, pid))

    def _broadcast(self, item: tuple[Any, ...]) -> None:
        blob = wire.dumps(item)
        for peer in list(self._peers.values()):
            if peer.up:
                peer.outbox.put(blob)

    def whereis(self, name: str) -> Pid | None:
        """The pid another node registered as ``name``, or None."""
        return self._names.get(name)

    def learn_name(self, name: str, pid: Pid, added: bool) -> None:
        """Applies another node's name announcement."""
        with self._lock:
            if added:
                self._names[name] = pid
            elif self._names.get(name) == pid:
                del self._names[name]

    def is_alive(self, pid: Pid) -> bool:
        """Asks ``pid``'s node; False when the node is down."""
        key = self.node_of(pid.host)
        if key is None or not self.is_up(key):
            return False
        try:
            return bool(self.requests.call(key, "alive", (pid,), timeout=30.0))
        except NodeDownError:
            return False

    # -- Remote: what the runtime asks --------------------------------------------------------

    def spawn(
        self, host_id: str, target: str | Callable[..., Any], args: tuple[Any, ...], *,
        function: bool, parent: Pid | None, monitor: bool, link: bool,
        name: str | None = None, watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        """Spawns on the remote host (registered there as ``name``, its start watched by
        ``watches``); raises NodeDownError when its node is down, a SpawnError subclass for
        what the spawn there raised."""
        key = self._directory[host_id]
        pid: Pid = self.requests.spawn(key, host_id, target, args, function=function,
                                       parent=parent, monitor=monitor, link=link, name=name,
                                       watches=watches)
        return pid

    def cancel(self, pid: Pid, reason: str, grace: float | None, sender: Pid) -> bool:
        """Queues a cancel for the remote ``pid`` (after what was sent to it before); False
        when its node is down."""
        return self._send(pid, (wire.CANCEL, pid, reason, grace, sender))

    def terminate(self, pid: Pid) -> bool:
        """Queues a terminate for the remote ``pid``; False when its node is down."""
        return self._send(pid, (wire.TERMINATE, pid))

    def host_call(self, host_id: str, op: str) -> Any:
        """``start``, ``stop`` or ``stats`` of a remote host (NodeDownError when down)."""
        key = self._directory[host_id]
        return self.requests.call(key, "host", (host_id, op), timeout=120.0)

    def output_sink(self, pid: Pid, stream: str, data: bytes) -> None:
        """The output router of a remote node: guest output goes to node 0, which writes it
        with its own router (here when node 0 is not connected)."""
        peer = self.peer(LOCAL_NODE)
        if peer is None or not peer.outbox.put(wire.dumps((wire.OUTPUT, pid, stream, data))):
            write_through(pid, stream, data)

    def forward_log(self, record: logging.LogRecord) -> bool:
        """Sends a log record of this node to node 0 (which logs it as its own, naming the
        node); False when node 0 is not connected."""
        peer = self.peer(LOCAL_NODE)
        item = (wire.LOG, record.levelno, record.name, record.getMessage())
        return peer is not None and peer.outbox.put(wire.dumps(item))

    def _down_error(self, pid: Pid) -> ProcessError:
        return noconnection(self.node_of(pid.host) or pid.host)
