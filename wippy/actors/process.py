"""The process handle: what Python code uses to act as (or on behalf of) a process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal

from wippy.actors.errors import ProcessExitedError, ProcessTerminated
from wippy.actors.events import EXIT, NOPROC, STARTED, Event, Message, ProcessError, Received
from wippy.actors.function_body import ProcessFunction
from wippy.actors.mailbox import MailboxClosed
from wippy.actors.ops import ProcessOps
from wippy.actors.pid import Pid
from wippy.actors.scheduler import mark_helper_thread
from wippy.actors.start_watch import StartWatch
from wippy.actors.table import ProcessRecord
from wippy.wasm.spec import Wait


def _matcher(
    topic: str | None, match: Callable[[Received], bool] | None
) -> Callable[[Received], bool] | None:
    """The ``match`` of a receive: only messages of ``topic`` (and that ``match`` accepts)."""
    if topic is None:
        return match
    wanted, accept = topic, match

    def by_topic(item: Received) -> bool:
        return (
            isinstance(item, Message)
            and item.topic == wanted
            and (accept is None or accept(item))
        )

    return by_topic


_new_message = tuple.__new__  # Message(...) without the Python-level __new__ of a named tuple


def _of(pid: Pid, event_type: str) -> Callable[[Received], bool]:
    """A ``match`` for the event of ``event_type`` about ``pid``."""

    def match(item: Received) -> bool:
        return isinstance(item, Event) and item.type == event_type and item.pid == pid

    return match


WatchStart = Literal["init", "ack"] | None
"""A spawn's ``watch_start``: get ``Event(STARTED)`` when the new process's Init completed
(``"init"``) or when it acked with :meth:`Process.ready` (``"ack"``); None: no event."""

Target = Pid | str
"""A process to act on: its pid, its pid as printed (``<app:processes.17>``) or a name it
registered."""


class Process:
    """A process's own view: its pid, its mailbox, and the operations a process may perform.

    Function processes get one as their first argument; :meth:`Runtime.process` creates a
    *handle* (a process with no thread of its own, driven by the calling Python code), which must
    be closed (:meth:`close` or ``with``). Methods are thread-safe, but one mailbox should have
    one receiver.

    Once the process has exited, every operation raises :class:`ProcessExitedError`; inside a
    function process that was terminated (or failed through a link) they raise
    ``ProcessTerminated`` instead, which unwinds the function.
    """

    def __init__(self, runtime: ProcessOps, record: ProcessRecord, *, handle: bool) -> None:
        self._runtime = runtime
        self._table = runtime.table
        self._records = self._table.live_records()
        self._record = record
        self._handle = handle

    def __repr__(self) -> str:
        kind = "handle" if self._handle else "process"
        return f"<{kind} {self._record.pid}>"

    @property
    def self(self) -> Pid:
        """This process's pid."""
        return self._record.pid

    pid = self

    @property
    def alive(self) -> bool:
        """True until this process exits."""
        return self._record.exit is None

    def _check(self) -> None:
        if self._record.exit is not None:
            raise self._exited()

    def _exited(self) -> BaseException:
        info = self._record.exit
        assert info is not None
        if info.killed and not self._handle:
            return ProcessTerminated(str(info.error))
        how = f"failed ({info.error})" if info.error else "exited"
        return ProcessExitedError(f"process {self._record.pid} has {how}")

    # -- spawning ---------------------------------------------------------------------------

    def spawn(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Spawns the entry ``entry_id`` on ``host_id`` with ``args``, registered as ``name``
        (when given) before it runs. With ``watch_start`` (``"init"`` or ``"ack"``) this
        process gets ``Event(STARTED, pid)`` once the new one started (see
        :meth:`watch_start`), watched from the spawn so that it cannot be missed.

        A ``process.supervisor`` or ``process.service`` entry is started as its supervisor or
        service process (on ``host_id``; its children default to the entry's own ``host``),
        registered under its entry id unless ``name`` is given, and this returns once it has
        started (every child started); waiting is a receive, so this process's permit is given
        back meanwhile. Raises a :class:`~wippy.actors.SpawnError` subclass (unknown host or
        entry, stopped or full host, arguments the program cannot take; for a supervisor or
        service: its start error) and :class:`~wippy.actors.NameTakenError` (``name`` is taken).
        """
        return self._spawn_entry(entry_id, host_id, args, False, False, name, watch_start)

    def spawn_monitored(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Like :meth:`spawn`, and this process monitors the new one from the start."""
        return self._spawn_entry(entry_id, host_id, args, True, False, name, watch_start)

    def spawn_linked(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Like :meth:`spawn`, and the new process is linked to this one from the start (a
        supervisor or service: once it has started, so a failed start is raised, not a link
        failure)."""
        return self._spawn_entry(entry_id, host_id, args, False, True, name, watch_start)

    def spawn_linked_monitored(
        self,
        entry_id: str,
        host_id: str,
        *args: Any,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Like :meth:`spawn`, both linked to and monitored by this process."""
        return self._spawn_entry(entry_id, host_id, args, True, True, name, watch_start)

    def _spawn_entry(
        self,
        entry_id: str,
        host_id: str,
        args: tuple[Any, ...],
        monitor: bool,
        link: bool,
        name: str | None,
        watch_start: WatchStart,
    ) -> Pid:
        self._check()
        return self._runtime.spawn_entry(
            entry_id, host_id, args, parent=self.self, monitor=monitor, link=link, name=name,
            watches=self._watches(watch_start),
        )

    def _watches(self, watch_start: WatchStart) -> tuple[StartWatch, ...]:
        if watch_start is None:
            return ()
        if watch_start not in ("init", "ack"):
            raise ValueError(f"watch_start must be 'init', 'ack' or None, got {watch_start!r}")
        return (StartWatch(self.self, ack=watch_start == "ack"),)

    def spawn_function(
        self,
        fn: ProcessFunction,
        host_id: str,
        *args: Any,
        monitor: bool = False,
        link: bool = False,
        name: str | None = None,
        watch_start: WatchStart = None,
    ) -> Pid:
        """Runs ``fn(proc, *args)`` as a new process on ``host_id``, optionally monitored/linked,
        registered as ``name`` (before it runs) and its start watched (as :meth:`spawn`).

        Its return value is its EXIT value; an exception it raises is its EXIT error. Raises a
        :class:`~wippy.actors.SpawnError` subclass when the host is unknown, stopped or full,
        and :class:`~wippy.actors.NameTakenError` when ``name`` is taken.
        """
        self._check()
        return self._runtime.spawn_function_as(
            fn, host_id, args, parent=self.self, monitor=monitor, link=link, name=name,
            watches=self._watches(watch_start),
        )

    def call(self, entry_id: str, *args: Any) -> Any:
        """Calls the ``function.wasm``/``function.wat`` entry ``entry_id`` synchronously and
        returns its result; see :meth:`Runtime.call <wippy.actors.Runtime.call>`."""
        self._check()
        return self._runtime.call(entry_id, *args)

    # -- messages ---------------------------------------------------------------------------

    def send(self, pid: Target, topic: str, *payload: Any) -> bool:
        """Sends ``Message(topic, payload, self)`` to ``pid`` (a pid, a pid string or a
        registered name); False when ``pid`` is gone.

        Messages from one process to another arrive in the order sent. Raises
        :class:`~wippy.actors.UnknownNameError` for a name no live process has.
        """
        record = self._record
        if record.exit is not None:
            raise self._exited()
        if type(pid) is not Pid:
            pid = self._table.resolve(pid)
        message = _new_message(Message, (topic, payload, record.pid))
        target = self._records.get(pid)  # the table's deliver, inlined: the hottest path
        if target is not None:
            return target.mailbox.put(message)
        return self._table.deliver(pid, message)  # gone, or on another node

    def send_payload(self, pid: Target, topic: str, payload: tuple[Any, ...]) -> bool:
        """Like :meth:`send`, with the payload tuple given as it is (a tuple subclass, such as a
        guest's MessagePack payload, keeps its type); False when ``pid`` is gone."""
        self._check()
        table = self._runtime.table
        return table.deliver(table.resolve(pid), Message(topic, payload, self._record.pid))

    def receive(
        self,
        timeout: float | None = None,
        topic: str | None = None,
        match: Callable[[Received], bool] | None = None,
    ) -> Received | None:
        """Takes the oldest message or event from the mailbox, waiting up to ``timeout`` s.

        With ``topic``, only messages with that topic are taken; with ``match``, only items it
        accepts (others stay queued in order; with ``topic``, events are never taken). Returns
        None on timeout. A function process gives its host's permit back while it waits.
        """
        record = self._record
        mailbox = record.mailbox
        if topic is None and match is None and record.exit is None:
            item = mailbox.pop_ready()  # the common case: the next item, already there
            if item is not None:
                return item
        if record.exit is not None:
            raise self._exited()
        permit = None if self._handle else record.permit
        try:
            if topic is not None or match is not None:
                match = _matcher(topic, match)
            if timeout == 0:
                return mailbox.get(0, match)
            if permit is None:  # a handle helps run processes; a guest's own thread does not
                if not self._handle:
                    return mailbox.get(timeout, match)
                mark_helper_thread()
                return mailbox.get(timeout, match, self._runtime.help)
            item = mailbox.get(0, match)
            if item is not None:
                return item
            permit.release()  # waiting is not running: let another process have the worker
            try:
                return mailbox.get(timeout, match)
            finally:
                if not permit.acquire():
                    raise self._exited_or_terminated()
        except MailboxClosed:
            raise self._exited() from None

    def receive_later(
        self,
        timeout: float | None = None,
        topic: str | None = None,
        match: Callable[[Received], bool] | None = None,
    ) -> Wait:
        """Like :meth:`receive`, for a stepped guest that must not block: a
        :class:`~wippy.wasm.spec.Wait` that completes with the item taken (None on timeout).

        The guest waits suspended until it completes; if the guest is dropped first, nothing
        is taken from the mailbox.
        """
        self._check()
        accept = _matcher(topic, match)
        mailbox = self._record.mailbox
        lock = threading.Lock()
        state: dict[str, Any] = {"done": False, "timer": None}

        def finish_timer() -> None:
            timer = state["timer"]
            if timer is not None:
                timer.cancel()

        def arrived() -> None:
            with lock:
                if state["done"]:
                    return
                try:
                    item = mailbox.take_or_watch(accept, arrived)
                except MailboxClosed:
                    state["done"] = True
                    failure: BaseException | None = self._exited()
                    item = None
                else:
                    if item is None:
                        return
                    state["done"] = True
                    failure = None
            finish_timer()
            if failure is not None:
                wait.fail(failure)
            else:
                wait.complete(item)

        def expired() -> None:
            with lock:
                if state["done"]:
                    return
                state["done"] = True
                mailbox.unwatch()
            wait.complete(None)

        def cancelled() -> None:
            with lock:
                state["done"] = True
                mailbox.unwatch()
            finish_timer()

        wait = Wait(on_cancel=cancelled, label="receive")
        if timeout is not None and timeout <= 0:
            try:
                wait.complete(mailbox.get(0, accept))
            except MailboxClosed:
                wait.fail(self._exited())
            return wait
        arrived()
        if not wait.done and timeout is not None:
            with lock:
                if not state["done"]:
                    state["timer"] = self._runtime.timers.schedule(timeout, expired)
        return wait

    def sleep_later(self, seconds: float) -> Wait:
        """A :class:`~wippy.wasm.spec.Wait` that completes with None after ``seconds``: a
        sleep for a stepped guest that must not block. Cancelling the wait drops its timer."""
        self._check()
        timer: list[Any] = []

        def expired() -> None:
            wait.complete(None)

        wait = Wait(on_cancel=lambda: timer[0].cancel() if timer else None)
        timer.append(self._runtime.timers.schedule(max(0.0, seconds), expired))
        return wait

    def _exited_or_terminated(self) -> BaseException:
        if self._record.exit is not None:
            return self._exited()
        return ProcessTerminated("process was stopped while waiting for a worker")

    def notify_monitors(
        self, event_type: str, value: Any = None, *, count_as: tuple[str, str] | None = None
    ) -> int:
        """Sends ``Event(event_type, self.pid, value=value)`` to every monitor of this process.

        Returns how many monitors got it. Used by supervisors for their SUPERVISION reports;
        ``count_as=(source, tag)`` also counts it in the runtime's counters (a supervisor's
        name and the report's action), monitored or not.
        """
        self._check()
        event = Event(event_type, self._record.pid, value=value)
        return self._runtime.table.notify_monitors(self._record.pid, event, count_as)

    def describe(self, entry: str) -> None:
        """Sets what introspection (``rt.processes()``, ``wippy ps``) shows as the entry this
        process runs: a supervisor shows its name rather than its Python function."""
        self._record.entry = entry

    def pending(self) -> int:
        """How many messages and events are waiting in the mailbox."""
        return len(self._record.mailbox)

    # -- monitors, links, control -----------------------------------------------------------

    def monitor(self, pid: Target) -> None:
        """Gets an EXIT event when ``pid`` exits (at once, error "noproc", if it is gone)."""
        self._check()
        table = self._runtime.table
        table.monitor(self.self, table.resolve(pid))

    def unmonitor(self, pid: Target) -> None:
        """Stops monitoring ``pid`` (an EXIT already received stays in the mailbox)."""
        self._check()
        table = self._runtime.table
        table.unmonitor(self.self, table.resolve(pid))

    def link(self, pid: Target) -> None:
        """Links to ``pid`` both ways (a LINK_DOWN "noproc" arrives at once if it is gone)."""
        self._check()
        table = self._runtime.table
        table.link(self.self, table.resolve(pid))

    def unlink(self, pid: Target) -> None:
        """Removes the link to ``pid`` (both ways)."""
        self._check()
        table = self._runtime.table
        table.unlink(self.self, table.resolve(pid))

    def set_options(self, *, trap_links: bool | None = None) -> None:
        """Sets process options: ``trap_links`` turns linked failures into LINK_DOWN events."""
        self._check()
        if trap_links is not None:
            self._runtime.table.set_trap_links(self.self, trap_links)

    def cancel(self, pid: Target, reason: str = "cancelled", grace: float | None = None) -> bool:
        """Sends ``pid`` a CANCEL event; terminates it if still alive after ``grace`` seconds.

        ``grace`` defaults to the target host's ``stop_timeout``; ``math.inf`` never terminates.
        False when ``pid`` is gone.
        """
        self._check()
        target = self._runtime.table.resolve(pid)
        return self._runtime.cancel(target, reason, grace, sender=self.self)

    def terminate(self, pid: Target) -> bool:
        """Stops ``pid`` now: its monitors get EXIT error "terminated". False when it is gone."""
        self._check()
        return self._runtime.terminate(self._runtime.table.resolve(pid))

    def is_alive(self, pid: Target) -> bool:
        """True while ``pid`` has not exited (False for a name no live process has)."""
        table = self._runtime.table
        if isinstance(pid, str) and not pid.startswith("<"):
            found = table.whereis(pid)
            return found is not None and table.is_alive(found)
        return table.is_alive(table.resolve(pid))

    # -- starts -------------------------------------------------------------------------------

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

        exited = _of(target, EXIT)

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

    # -- names --------------------------------------------------------------------------------

    def register(self, name: str) -> None:
        """Registers this process as ``name`` until it exits (or :meth:`unregister`); every call
        that takes a pid then also takes ``name``. Raises
        :class:`~wippy.actors.NameTakenError` when another live process has it."""
        self._check()
        self._runtime.table.register_name(name, self.self)

    def unregister(self, name: str) -> bool:
        """Frees ``name`` if this process has it; False otherwise."""
        self._check()
        return self._runtime.table.unregister_name(name, self.self)

    def lookup(self, name: str) -> Pid | None:
        """The live process registered as ``name``, or None."""
        return self._runtime.table.whereis(name)

    def runs_on(self, runtime: object) -> bool:
        """True when this process belongs to ``runtime``."""
        return self._runtime is runtime

    # -- lifetime of handles ----------------------------------------------------------------

    def close(self, error: BaseException | ProcessError | None = None) -> None:
        """Exits this handle's process: normally, or with ``error``. Idempotent.

        For a function process this does nothing (it exits when its function returns).
        """
        if not self._handle:
            return
        if isinstance(error, BaseException):
            error = ProcessError.from_exception(error)
        self._runtime.close_handle(self._record.pid, error)

    def __enter__(self) -> Process:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(exc)
