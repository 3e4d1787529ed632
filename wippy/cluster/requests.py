"""Calls that need an answer from another node: spawn, is alive, host control, node info.

A request and its reply travel through the outboxes like everything else, so a request sent
after a message arrives after it. A spawn's reply takes a :class:`~.outbox.Slot` reserved
before the process starts: its EXIT, queued later, cannot overtake the reply, and the
requesting node records the monitor and link (when the reply is applied) before any event of
the new process can arrive.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wippy.actors.errors import SpawnArgumentError
from wippy.actors.events import ProcessError
from wippy.actors.pid import Pid
from wippy.actors.start_watch import StartWatch
from wippy.cluster import wire
from wippy.cluster.errors import ClusterError, NodeDownError, NotTransferableError

if TYPE_CHECKING:
    from wippy.cluster.outbox import Slot
    from wippy.cluster.router import Peer, Router

logger = logging.getLogger(__name__)

SPAWN_TIMEOUT = 120.0
"""How long a remote spawn may take (a cold cache compiles the module there)."""

_ORPHANED = ProcessError("noproc", "the spawning process exited before the spawn completed")


@dataclass(eq=False)
class _Pending:
    node: str
    future: Future[Any]
    watch: tuple[Pid, bool, bool] | None  # (spawner, monitor, link) of a spawn


class Requests:
    """Both halves of requests for one router: :meth:`call` and :meth:`answer` on the asking
    node, :meth:`serve` (on a small thread pool) on the answering one."""

    def __init__(self, router: Router) -> None:
        self._router = router
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="wippy-requests")
        self._handlers: dict[str, Callable[..., Any]] = {
            "spawn": self._spawn, "alive": self._alive, "host": self._host, "info": self._info,
        }

    # -- asking -------------------------------------------------------------------------------

    def call(
        self, node: str, op: str, args: tuple[Any, ...], *, timeout: float,
        watch: tuple[Pid, bool, bool] | None = None,
    ) -> Any:
        """Asks ``node`` to run ``op(*args)`` and returns its result, or raises its error.

        Raises NodeDownError (the node is or goes down), NotTransferableError (``args``
        cannot be pickled) and ClusterError (no answer within ``timeout`` s).
        """
        peer = self._router.peer(node)
        if peer is None:
            raise NodeDownError(f"node {node} is down")
        blob = wire.dumps(args)
        request_id = next(self._ids)
        pending = _Pending(node, Future(), watch)
        with self._lock:
            self._pending[request_id] = pending
        try:
            if not peer.outbox.put(wire.dumps((wire.REQUEST, request_id, op, blob))):
                raise NodeDownError(f"node {node} is down")
            try:
                return pending.future.result(timeout)
            except FutureTimeout:
                raise ClusterError(f"node {node} did not answer {op} within {timeout:g} s"
                                   ) from None
        finally:
            with self._lock:
                self._pending.pop(request_id, None)

    def spawn(
        self, node: str, host_id: str, target: Any, args: tuple[Any, ...], *, function: bool,
        parent: Pid | None, monitor: bool, link: bool, name: str | None = None,
        watches: tuple[StartWatch, ...] = (),
    ) -> Pid:
        """Spawns on ``host_id`` of ``node``; see :meth:`Router.spawn`."""
        watch = (parent, monitor, link) if parent is not None and (monitor or link) else None
        what = getattr(target, "__qualname__", None) or str(target)
        try:
            pid: Pid = self.call(node, "spawn", (host_id, target, args, function, parent,
                                                 monitor, link, name, watches),
                                 timeout=SPAWN_TIMEOUT, watch=watch)
        except NotTransferableError as exc:
            raise SpawnArgumentError(f"cannot spawn {what} on host {host_id!r} (node {node}): "
                                     f"what it is given {exc}") from exc
        except NodeDownError:
            raise NodeDownError(f"cannot spawn {what} on host {host_id!r}: node {node} is down"
                                ) from None
        return pid

    def answer(self, request_id: int, ok: bool, value: Any) -> None:
        """Applies a reply (on the inbound thread, in order with the peer's other items)."""
        with self._lock:
            pending = self._pending.get(request_id)
        if pending is None:
            if ok and isinstance(value, Pid):  # the caller gave up waiting: nobody has it
                logger.warning("spawned %s after its caller gave up waiting; terminating it",
                               value)
                self._router.terminate(value)
            return
        if pending.future.done():  # failed meanwhile (its node was declared lost)
            return
        if not ok:
            pending.future.set_exception(wire.rebuild_error(*value))
            return
        if pending.watch is not None and isinstance(value, Pid):
            watcher, monitor, link = pending.watch
            table = self._router.runtime.table
            if not table.add_remote_watch(watcher, value, monitor=monitor, link=link):
                if link:
                    self._router.link_notice(value, watcher, _ORPHANED)
                if monitor:
                    self._router.unmonitor_notice(watcher, value)
        pending.future.set_result(value)

    def fail_node(self, node: str) -> None:
        """Fails every request waiting for ``node`` with NodeDownError."""
        with self._lock:
            waiting = [p for p in self._pending.values() if p.node == node]
        for pending in waiting:
            if not pending.future.done():
                pending.future.set_exception(NodeDownError(f"node {node} is down"))

    def close(self) -> None:
        """Fails what is still waiting and stops the serving threads."""
        with self._lock:
            waiting = list(self._pending.values())
        for pending in waiting:
            if not pending.future.done():
                pending.future.set_exception(ClusterError("the cluster is stopping"))
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- answering ----------------------------------------------------------------------------

    def serve(self, sender: str, request_id: int, op: str, args: bytes) -> None:
        """Runs a request of ``sender`` on the pool; its reply goes back through the outbox
        (into a slot reserved now, for a spawn)."""
        peer = self._router.peer(sender)
        if peer is None:
            return
        slot = peer.outbox.reserve() if op == "spawn" else None
        try:
            self._pool.submit(self._run, peer, slot, request_id, op, args)
        except RuntimeError:  # the pool is shut down: the node is stopping
            self._reply(peer, slot, wire.error_reply(request_id, ClusterError("node stopping")))

    def _run(self, peer: Peer, slot: Slot | None, request_id: int, op: str, args: bytes) -> None:
        try:
            handler = self._handlers.get(op)
            if handler is None:
                raise ClusterError(f"unknown request {op!r}")
            value = handler(*wire.loads(args))
            blob = wire.dumps((wire.REPLY, request_id, True, value))
        except Exception as exc:
            blob = wire.error_reply(request_id, exc)
        self._reply(peer, slot, blob)

    @staticmethod
    def _reply(peer: Peer, slot: Slot | None, blob: bytes) -> None:
        if slot is not None:
            peer.outbox.fill(slot, blob)
        else:
            peer.outbox.put(blob)

    def _spawn(
        self, host_id: str, target: Any, args: tuple[Any, ...], function: bool,
        parent: Pid | None, monitor: bool, link: bool, name: str | None,
        watches: tuple[StartWatch, ...],
    ) -> Pid:
        runtime = self._router.runtime
        spawn = runtime.spawn_function_as if function else runtime.spawn_entry
        pid: Pid = spawn(target, host_id, args, parent=parent, monitor=monitor, link=link,
                         name=name, watches=watches)
        return pid

    def _alive(self, pid: Pid) -> bool:
        return bool(self._router.runtime.table.is_alive(pid))

    def _host(self, host_id: str, op: str) -> Any:
        runtime = self._router.runtime
        if op == "start":
            return runtime.start_host(host_id)
        if op == "stop":
            return runtime.stop_host(host_id)
        if op == "stats":
            return runtime.host_stats(host_id)
        raise ClusterError(f"unknown host operation {op!r}")

    def _info(self) -> dict[str, Any]:
        runtime = self._router.runtime
        hosts = {host_id: runtime.host_stats(host_id) for host_id in runtime.hosts}
        stats = runtime.stats()
        return {"node": self._router.node, "epoch": self._router.epoch, "hosts": hosts,
                "processes": stats.processes, "monitors": stats.monitors, "links": stats.links}
