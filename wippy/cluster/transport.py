"""The threads that move items between two nodes and watch that the peer is alive.

- :class:`Pusher`: drains an outbox into the peer actor's ``deliver``, one batch in flight
  (Ray runs a threaded actor's calls in any order; waiting for each keeps them in order), each
  numbered so that a batch sent again after a timeout is applied once.
- :class:`Puller`: on the node that loaded the app (not an actor, so peers cannot call it),
  pulls what a peer queued for it with a standing ``poll`` call.
- :class:`Heartbeat`: a small ``ping`` every ``interval`` s allowed ``timeout`` s; ``misses``
  missed in a row and the peer is declared lost (Ray itself reports a dead actor only after
  about 15 s).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from wippy.cluster.outbox import Outbox
from wippy.config import Heartbeat as HeartbeatSettings

logger = logging.getLogger(__name__)

DELIVER_TIMEOUT = 10.0
"""How long a batch may take to be applied before it is sent again (same number)."""
POLL_WAIT = 0.25
"""How long a peer holds a ``poll`` call open when it has nothing to send."""

Apply = Callable[[str, list[bytes]], None]


def _ray() -> Any:
    import ray

    return ray


def _dead(exc: BaseException) -> bool:
    """True when ``exc`` says the actor is dead for good (no point in trying again)."""
    ray = _ray()
    return isinstance(exc, ray.exceptions.ActorDiedError)


class _Worker(threading.Thread):
    """A daemon thread with a stop flag; :meth:`stop` asks it to end, :meth:`join` waits."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._stop_flag = threading.Event()

    def stop(self) -> None:
        """Asks the thread to end (it does within about one call's timeout)."""
        self._stop_flag.set()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop_flag.is_set()


class Pusher(_Worker):
    """Sends ``outbox`` to ``actor.deliver(sender, epoch, seq, batch)`` until stopped."""

    def __init__(self, outbox: Outbox, actor: Any, sender: str, epoch: int, peer: str) -> None:
        super().__init__(f"wippy-push-{sender}-to-{peer}")
        self._outbox = outbox
        self._actor = actor
        self._sender = sender
        self._epoch = epoch
        self._peer = peer
        self._seq = 0
        self.sent = 0

    def run(self) -> None:
        ray = _ray()
        while True:
            stopping = self.stopping  # once stopping, what is left still goes out
            batch = self._outbox.take(0.05 if stopping else 0.5)
            if not batch:
                if stopping or self._outbox.closed:
                    return
                continue
            self._seq += 1
            for attempt in itertools.count():
                try:
                    ref = self._actor.deliver.remote(self._sender, self._epoch, self._seq, batch)
                    if ray.get(ref, timeout=DELIVER_TIMEOUT):
                        self.sent += len(batch)
                        break
                    why = "not connected yet"
                except Exception as exc:
                    if _dead(exc):
                        logger.info("node %s is dead: %d items not delivered", self._peer,
                                    len(batch))
                        return
                    why = type(exc).__name__
                if self._outbox.closed or (self.stopping and attempt >= 3):
                    return
                logger.debug("delivering to node %s failed (%s); trying again", self._peer, why)
                self._stop_flag.wait(0.05)


class Puller(_Worker):
    """Pulls what node ``peer`` queued for ``reader`` and hands it to ``apply`` in order."""

    def __init__(self, actor: Any, reader: str, peer: str, apply: Apply) -> None:
        super().__init__(f"wippy-pull-{peer}-to-{reader}")
        self._actor = actor
        self._reader = reader
        self._peer = peer
        self._apply = apply
        self._ack = 0

    def run(self) -> None:
        ray = _ray()
        while not self.stopping:
            try:
                ref = self._actor.poll.remote(self._reader, self._ack, POLL_WAIT)
                seq, batch = ray.get(ref, timeout=POLL_WAIT + DELIVER_TIMEOUT)
            except Exception as exc:
                if _dead(exc):
                    return
                logger.debug("polling node %s failed (%s)", self._peer, type(exc).__name__)
                self._stop_flag.wait(0.05)
                continue
            if seq > self._ack:
                self._ack = seq
                if batch and not self.stopping:
                    self._apply(self._peer, batch)


class Heartbeat(_Worker):
    """Pings ``actor`` and calls ``lost(peer)`` after ``settings.misses`` misses in a row."""

    def __init__(
        self, actor: Any, peer: str, settings: HeartbeatSettings, lost: Callable[[str], None],
        owner: str,
    ) -> None:
        super().__init__(f"wippy-heartbeat-{owner}-to-{peer}")
        self._actor = actor
        self._peer = peer
        self._settings = settings
        self._lost = lost
        self.misses = 0

    def run(self) -> None:
        ray = _ray()
        settings = self._settings
        while not self.stopping:
            started = time.monotonic()
            try:
                ray.get(self._actor.ping.remote(), timeout=settings.timeout)
                self.misses = 0
            except Exception as exc:
                if self.stopping:
                    return
                self.misses = settings.misses if _dead(exc) else self.misses + 1
                logger.info("node %s missed heartbeat %d of %d (%s)", self._peer, self.misses,
                            settings.misses, type(exc).__name__)
                if self.misses >= settings.misses:
                    self._lost(self._peer)
                    return
                continue  # ping again at once: a missed ping already took its timeout
            self._stop_flag.wait(max(0.0, settings.interval - (time.monotonic() - started)))
