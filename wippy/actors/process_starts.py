"""Starts seen from a process: acking its own start (``ready``), and watching or waiting for
another process's start (OTP's ``proc_lib:init_ack`` and ``start_link``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wippy.actors.events import EXIT, NOPROC, STARTED, Event, Received
from wippy.actors.mailbox import MailboxClosed
from wippy.actors.matchers import event_about
from wippy.actors.ops import ProcessOps
from wippy.actors.pid import Pid, Target
from wippy.actors.table import ProcessRecord


class StartWaiting:
    """Mixin of :class:`~wippy.actors.Process`: :meth:`ready`, :meth:`watch_start` and
    :meth:`await_started`."""

    _runtime: ProcessOps
    _record: ProcessRecord

    if TYPE_CHECKING:  # from the Process

        @property
        def self(self) -> Pid: ...

        @property
        def alive(self) -> bool: ...

        def _check(self) -> None: ...

        def _exited(self) -> BaseException: ...

        def receive(
            self,
            timeout: float | None = None,
            topic: str | None = None,
            match: Callable[[Received], bool] | None = None,
        ) -> Received | None: ...

    def ready(self, value: Any = None) -> bool:
        """Acknowledges that this process has started (OTP's ``proc_lib:init_ack``): whoever
        waits for its ack (a supervisor whose child spec says ``ack``, a spawner of a
        supervisor) counts it as started now and gets ``value`` in ``Event(STARTED)``.

        The first call counts; later ones return False and change nothing.
        """
        self._check()
        return self._runtime.table.mark_ready(self.self, value)

    def watch_start(self, pid: Target, *, ack: bool = False) -> bool:
        """Asks for one ``Event(STARTED, pid)`` when ``pid`` has started: its Init completed
        (a WebAssembly guest instantiated, a function entered) or, with ``ack``, it called
        :meth:`ready` (the event's ``value`` is the ack's). It comes at once when that already
        happened. False when ``pid`` is gone (nothing will come: monitor it to see its EXIT).
        """
        self._check()
        table = self._runtime.table
        return table.watch_start(self.self, table.resolve(pid), ack=ack)

    def await_started(
        self, pid: Target, *, ack: bool = False, timeout: float | None = None
    ) -> Event | None:
        """Waits until ``pid`` has started (see :meth:`watch_start`), its EXIT, or ``timeout``.

        Returns ``Event(STARTED, pid, value=...)``, ``pid``'s EXIT event when it exited first
        (kind ``noproc`` when it was gone already), or None when ``timeout`` passed first
        (``pid`` keeps running: terminate it if it must not). Waiting is a :meth:`receive`:
        other items stay queued and a function process gives its permit back meanwhile. This
        process monitors ``pid`` for the wait when it does not already; then no EXIT of
        ``pid`` is left in the mailbox afterwards, and no STARTED of it is in any case. A
        process that may exit at once must be spawned with ``watch_start``, so that its start
        is seen even when it has exited before this is called.
        """
        self._check()
        table = self._runtime.table
        target = table.resolve(pid)
        me = self.self
        monitoring = table.is_monitoring(me, target)
        monitored = monitoring is not False  # gone: no monitor of ours to add or remove
        if not monitored:
            table.monitor(me, target)

        kind = "ack" if ack else "init"

        def started(item: Received) -> bool:
            return (
                isinstance(item, Event)
                and item.type == STARTED
                and item.pid == target
                and item.reason == kind
            )

        exited = event_about(target, EXIT)

        def outcome(item: Received) -> bool:
            return started(item) or exited(item)

        item: Received | None
        try:
            if table.watch_start(me, target, ack=ack) or not monitored:
                item = self.receive(timeout, match=outcome)  # gone: the monitor's noproc EXIT
            else:  # gone: what the spawn's watch or our monitor queued, else a noproc EXIT
                item = self.receive(0, match=outcome) or Event(EXIT, target, error=NOPROC)
        finally:
            table.unwatch_start(me, target, ack=ack)
            if not monitored and self.alive:
                table.unmonitor(me, target)
        assert item is None or isinstance(item, Event)
        mailbox = self._record.mailbox
        try:
            # Another STARTED: one that came after the timeout (a late ack is ignored), or a
            # second one when the spawn watched the start as well.
            while mailbox.get(0, started) is not None:
                pass
            # What the wait's own monitor delivered: a later EXIT, or a noproc one when the
            # process exited (its EXIT queued already) just before the monitor was set.
            while not monitored and mailbox.get(0, exited) is not None:
                pass
        except MailboxClosed:
            raise self._exited() from None
        return item
