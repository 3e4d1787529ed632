"""The process handle: what Python code uses to act as (or on behalf of) a process.

:class:`Process` is made of one part per concern, each a mixin in its own module: spawning
(:mod:`.process_spawn`), the waits of stepped guests (:mod:`.process_waits`), monitors, links
and control of other processes (:mod:`.process_links`) and starts (:mod:`.process_starts`).
This module has its identity, its messages (send and receive: the hot paths), its names and
the lifetime of handles.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from wippy.actors.errors import ProcessExitedError, ProcessTerminated
from wippy.actors.events import Message, ProcessError, Received
from wippy.actors.mailbox import MailboxClosed
from wippy.actors.matchers import receive_matcher
from wippy.actors.ops import ProcessOps
from wippy.actors.pid import Pid, Target
from wippy.actors.process_links import ProcessLinks
from wippy.actors.process_spawn import ProcessSpawning, WatchStart
from wippy.actors.process_starts import StartWaiting
from wippy.actors.process_waits import SteppedWaits
from wippy.actors.scheduler import mark_helper_thread
from wippy.actors.table import ProcessRecord

__all__ = ["Process", "Target", "WatchStart"]

_new_message = tuple.__new__  # Message(...) without the Python-level __new__ of a named tuple


class Process(ProcessSpawning, SteppedWaits, ProcessLinks, StartWaiting):
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
                match = receive_matcher(topic, match)
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

    def _exited_or_terminated(self) -> BaseException:
        if self._record.exit is not None:
            return self._exited()
        return ProcessTerminated("process was stopped while waiting for a worker")

    def describe(self, entry: str) -> None:
        """Sets what introspection (``rt.processes()``, ``wippy ps``) shows as the entry this
        process runs: a supervisor shows its name rather than its Python function."""
        self._record.entry = entry

    def pending(self) -> int:
        """How many messages and events are waiting in the mailbox."""
        return len(self._record.mailbox)

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
