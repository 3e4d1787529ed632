"""The process handle: what Python code uses to act as (or on behalf of) a process."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from wippy.actors.errors import ProcessExitedError, ProcessTerminated
from wippy.actors.events import Event, Message, ProcessError, Received
from wippy.actors.function_body import ProcessFunction
from wippy.actors.mailbox import MailboxClosed
from wippy.actors.ops import ProcessOps
from wippy.actors.pid import Pid
from wippy.actors.table import ProcessRecord


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

    def spawn(self, entry_id: str, host_id: str, *args: Any) -> Pid:
        """Spawns the program entry ``entry_id`` on ``host_id`` with ``args``.

        Raises a :class:`~wippy.actors.SpawnError` subclass (unknown host or entry, stopped or
        full host, arguments the program cannot take).
        """
        return self._spawn_entry(entry_id, host_id, args, monitor=False, link=False)

    def spawn_monitored(self, entry_id: str, host_id: str, *args: Any) -> Pid:
        """Like :meth:`spawn`, and this process monitors the new one from the start."""
        return self._spawn_entry(entry_id, host_id, args, monitor=True, link=False)

    def spawn_linked(self, entry_id: str, host_id: str, *args: Any) -> Pid:
        """Like :meth:`spawn`, and the new process is linked to this one from the start."""
        return self._spawn_entry(entry_id, host_id, args, monitor=False, link=True)

    def spawn_linked_monitored(self, entry_id: str, host_id: str, *args: Any) -> Pid:
        """Like :meth:`spawn`, both linked to and monitored by this process."""
        return self._spawn_entry(entry_id, host_id, args, monitor=True, link=True)

    def _spawn_entry(
        self, entry_id: str, host_id: str, args: tuple[Any, ...], *, monitor: bool, link: bool
    ) -> Pid:
        self._check()
        return self._runtime.spawn_entry(
            entry_id, host_id, args, parent=self.self, monitor=monitor, link=link
        )

    def spawn_function(
        self,
        fn: ProcessFunction,
        host_id: str,
        *args: Any,
        monitor: bool = False,
        link: bool = False,
    ) -> Pid:
        """Runs ``fn(proc, *args)`` as a new process on ``host_id``, optionally monitored/linked.

        Its return value is its EXIT value; an exception it raises is its EXIT error. Raises a
        :class:`~wippy.actors.SpawnError` subclass when the host is unknown, stopped or full.
        """
        self._check()
        return self._runtime.spawn_function_as(
            fn, host_id, args, parent=self.self, monitor=monitor, link=link
        )

    def call(self, entry_id: str, *args: Any) -> Any:
        """Calls the ``function.wasm``/``function.wat`` entry ``entry_id`` synchronously and
        returns its result; see :meth:`Runtime.call <wippy.actors.Runtime.call>`."""
        self._check()
        return self._runtime.call(entry_id, *args)

    # -- messages ---------------------------------------------------------------------------

    def send(self, pid: Pid, topic: str, *payload: Any) -> bool:
        """Sends ``Message(topic, payload, self)`` to ``pid``; False when ``pid`` is gone.

        Messages from one process to another arrive in the order sent.
        """
        self._check()
        return self._runtime.table.deliver(pid, Message(topic, payload, self._record.pid))

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
        self._check()
        if topic is not None:
            wanted, accept = topic, match

            def match(item: Received) -> bool:
                return (
                    isinstance(item, Message)
                    and item.topic == wanted
                    and (accept is None or accept(item))
                )

        mailbox = self._record.mailbox
        permit = None if self._handle else self._record.permit
        try:
            if timeout == 0:
                return mailbox.get(0, match)
            if permit is None:
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

    def _exited_or_terminated(self) -> BaseException:
        if self._record.exit is not None:
            return self._exited()
        return ProcessTerminated("process was stopped while waiting for a worker")

    def notify_monitors(self, event_type: str, value: Any = None) -> int:
        """Sends ``Event(event_type, self.pid, value=value)`` to every monitor of this process.

        Returns how many monitors got it. Used by supervisors for their SUPERVISION reports.
        """
        self._check()
        event = Event(event_type, self._record.pid, value=value)
        return self._runtime.table.notify_monitors(self._record.pid, event)

    def pending(self) -> int:
        """How many messages and events are waiting in the mailbox."""
        return len(self._record.mailbox)

    # -- monitors, links, control -----------------------------------------------------------

    def monitor(self, pid: Pid) -> None:
        """Gets an EXIT event when ``pid`` exits (at once, error "noproc", if it is gone)."""
        self._check()
        self._runtime.table.monitor(self.self, pid)

    def unmonitor(self, pid: Pid) -> None:
        """Stops monitoring ``pid`` (an EXIT already received stays in the mailbox)."""
        self._check()
        self._runtime.table.unmonitor(self.self, pid)

    def link(self, pid: Pid) -> None:
        """Links to ``pid`` both ways (a LINK_DOWN "noproc" arrives at once if it is gone)."""
        self._check()
        self._runtime.table.link(self.self, pid)

    def unlink(self, pid: Pid) -> None:
        """Removes the link to ``pid`` (both ways)."""
        self._check()
        self._runtime.table.unlink(self.self, pid)

    def set_options(self, *, trap_links: bool | None = None) -> None:
        """Sets process options: ``trap_links`` turns linked failures into LINK_DOWN events."""
        self._check()
        if trap_links is not None:
            self._runtime.table.set_trap_links(self.self, trap_links)

    def cancel(self, pid: Pid, reason: str = "cancelled", grace: float | None = None) -> bool:
        """Sends ``pid`` a CANCEL event; terminates it if still alive after ``grace`` seconds.

        ``grace`` defaults to the target host's ``stop_timeout``; ``math.inf`` never terminates.
        False when ``pid`` is gone.
        """
        self._check()
        return self._runtime.cancel(pid, reason, grace, sender=self.self)

    def terminate(self, pid: Pid) -> bool:
        """Stops ``pid`` now: its monitors get EXIT error "terminated". False when it is gone."""
        self._check()
        return self._runtime.terminate(pid)

    def is_alive(self, pid: Pid) -> bool:
        """True while ``pid`` has not exited."""
        return self._runtime.table.is_alive(pid)

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
