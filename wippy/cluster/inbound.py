"""Applies what a peer sent, in the order it was sent: one batch at a time per peer."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from wippy.actors.events import EXIT, NOPROC, Event
from wippy.cluster import wire

if TYPE_CHECKING:
    from wippy.cluster.router import Router

logger = logging.getLogger(__name__)


class Inbound:
    """The receiving half of a router: :meth:`receive` (pushed batches, numbered) and
    :meth:`apply` (a batch, from a push or a pull) act on the node's table and runtime."""

    def __init__(self, router: Router) -> None:
        self._router = router

    def receive(self, sender: str, epoch: int, seq: int, blobs: list[bytes]) -> bool:
        """Applies batch ``seq`` from ``sender`` once (a batch sent again is skipped). False
        when ``sender`` is unknown here (not connected yet, or an old incarnation): the sender
        tries again."""
        peer = self._router.peer(sender)
        if peer is None or peer.epoch != epoch:
            return False
        with peer.inbound_lock:
            if seq <= peer.last_in:
                return True
            self.apply(sender, blobs)
            peer.last_in = seq
        return True

    def apply(self, sender: str, blobs: list[bytes]) -> None:
        """Applies each item; one that fails is logged and skipped, never the rest."""
        if self._router.peer(sender) is None:
            return  # lost meanwhile: what it said no longer counts
        for blob in blobs:
            try:
                self._apply_one(sender, wire.loads(blob))
            except Exception:
                logger.exception("node %s: an item from node %s could not be applied",
                                 self._router.node, sender)

    def _apply_one(self, sender: str, item: tuple[Any, ...]) -> None:
        router = self._router
        runtime = router.runtime
        table = runtime.table
        op = item[0]
        if op == wire.MSG:
            pid, message = wire.read_message(item)
            table.deliver(pid, message)
        elif op == wire.EVENT:
            pid, event = wire.read_event(item)
            table.deliver(pid, event)
        elif op == wire.EXIT:
            watcher, event = wire.read_event(item)
            table.remote_exit(watcher, event)
        elif op == wire.MONITOR:
            _, watcher, target = item
            if not table.remote_monitor(watcher, target):
                router.exit_notice(watcher, Event(EXIT, target, error=NOPROC))
        elif op == wire.DEMONITOR:
            _, watcher, target = item
            table.remote_unmonitor(watcher, target)
        elif op == wire.LINK:
            _, remote, local = item
            if not table.remote_link(remote, local):
                router._send(remote, (wire.LINK_GONE, remote, local, NOPROC))
        elif op == wire.UNLINK:
            _, remote, local = item
            table.remote_link_exit(local, remote, None)  # drops the link, signals nothing
        elif op == wire.LINK_EXIT:
            _, local, remote, error = item
            table.remote_link_exit(local, remote, error)
        elif op == wire.LINK_GONE:
            _, local, remote, error = item
            table.remote_link_gone(local, remote, error)
        elif op == wire.WATCH_START:
            _, watcher, target, ack = item
            table.watch_start(watcher, target, ack=ack)  # gone: the watcher's monitor answers
        elif op == wire.UNWATCH_START:
            _, watcher, target, ack = item
            table.unwatch_start(watcher, target, ack=ack)
        elif op == wire.CANCEL:
            _, pid, reason, grace, asked_by = item
            runtime.cancel(pid, reason, grace, asked_by)
        elif op == wire.TERMINATE:
            runtime.terminate(item[1])
        elif op in (wire.NAME_ADDED, wire.NAME_REMOVED):
            _, name, pid = item
            router.learn_name(name, pid, op == wire.NAME_ADDED)
        elif op == wire.REQUEST:
            _, request_id, name, args = item
            router.requests.serve(sender, request_id, name, args)
        elif op == wire.REPLY:
            _, request_id, ok, value = item
            router.requests.answer(request_id, ok, value)
        elif op == wire.OUTPUT:
            _, pid, stream, data = item
            runtime.output(pid, stream, data)
        elif op == wire.LOG:
            _, level, name, text = item
            if not text.startswith(f"node {sender}:"):
                text = f"node {sender}: {text}"
            logging.getLogger(name).log(level, "%s", text)
        elif op == wire.NODE_DOWN:
            router.node_lost(item[1], announced=True)
        else:
            logger.error("node %s: unknown item %r from node %s", router.node, op, sender)
