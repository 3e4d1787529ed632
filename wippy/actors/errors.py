"""Errors raised by the process runtime."""

from __future__ import annotations


class ActorsError(Exception):
    """Base of the errors the process runtime raises to callers."""


class SpawnError(ActorsError):
    """A process could not be spawned; raised by every ``spawn*`` call before anything runs."""


class UnknownHostError(SpawnError, LookupError):
    """No host with that id was added to the runtime."""


class HostStoppedError(SpawnError):
    """The host exists but is not running (never started, stopping or stopped)."""


class HostUnavailableError(SpawnError):
    """The host exists but cannot take processes now (in a cluster: its node is down); a
    supervisor child spec's ``fallback_hosts`` are tried next."""


class UnknownEntryError(SpawnError, LookupError):
    """No program entry with that id (not added to the runtime, not in its registry)."""


class SpawnArgumentError(SpawnError, ValueError):
    """The entry's program cannot take the spawn arguments; ``__cause__`` is the original."""


class HostQueueFull(SpawnError):
    """``queue_size`` processes spawned on the host already wait for a worker to start."""

    def __init__(self, host_id: str, queue_size: int, workers: int) -> None:
        super().__init__(
            f"host {host_id!r} is full: {queue_size} spawned processes already wait for one of "
            f"its {workers} workers to start (queue_size={queue_size})"
        )
        self.host_id = host_id
        self.queue_size = queue_size
        self.workers = workers


class NameTakenError(ActorsError):
    """The name is registered to another live process."""

    def __init__(self, name: str, owner: object) -> None:
        super().__init__(f"name {name!r} is already registered to {owner}")
        self.name = name
        self.owner = owner


class UnknownNameError(ActorsError, LookupError):
    """No live process is registered under that name (or a pid string does not parse)."""


class RuntimeStoppedError(ActorsError):
    """The runtime is stopping or stopped and accepts no new processes or hosts."""


class ProcessExitedError(ActorsError):
    """The process this handle stands for has exited (closed, terminated or failed by a link)."""


class ProcessTerminated(BaseException):
    """Raised inside a Python function process whose process was terminated.

    It derives from :class:`BaseException` so that ``except Exception`` in the function does not
    swallow it; the runtime catches it when the function unwinds. Do not raise it yourself.
    """


class ResourceLimitError(SpawnError):
    """Spawning would exceed a limit of the machine (memory maps, threads); the message names
    the limit and how to raise it."""


class EntryLoadError(SpawnError):
    """The entry exists but its program could not be loaded; ``__cause__`` is the original."""


class Shutdown(Exception):
    """Raise it in a function process to exit with error kind ``"shutdown"``.

    That is an orderly stop, as OTP's ``shutdown`` reason: a ``transient`` supervisor child that
    exits this way is not restarted, while monitors still see it as an error.
    """

    kind = "shutdown"

    def __init__(self, message: str = "shutdown") -> None:
        super().__init__(message)
        self.message = message
