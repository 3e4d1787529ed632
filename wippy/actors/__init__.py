"""wippy.actors: processes as supervised actors.

A :class:`Runtime` owns hosts (bounded worker pools), a process table and one actor per process.
Python code acts as a process through a :class:`Process` handle (``rt.process()``) or by running
as a function process (``rt.spawn_function(fn, host, ...)``); ``process.wasm`` entries run as
WebAssembly processes. Processes exchange :class:`Message` objects and receive :class:`Event`
objects (EXIT, LINK_DOWN, CANCEL, STARTED) about each other. Entry kinds built above this
package (supervisors, services) plug into spawning through :func:`register_starter`.
"""

from __future__ import annotations

from .body import CONTINUE, SUSPENDED, BodyControl, Finished, ProcessBody, StepOutcome
from .errors import (
    ActorsError,
    EntryLoadError,
    HostQueueFull,
    HostStoppedError,
    HostUnavailableError,
    NameTakenError,
    ProcessExitedError,
    ProcessTerminated,
    ResourceLimitError,
    RuntimeStoppedError,
    Shutdown,
    SpawnArgumentError,
    SpawnError,
    UnknownEntryError,
    UnknownHostError,
    UnknownNameError,
)
from .events import (
    CANCEL,
    EXIT,
    LINK_DOWN,
    SHUTDOWN_KIND,
    STARTED,
    SUPERVISION,
    Event,
    Message,
    ProcessError,
    Received,
)
from .function_body import FunctionBody, ProcessFunction
from .host import HostConfig, HostState, HostStats
from .introspect import STATES, ProcessInfo, RuntimeCounters, process_role
from .output import OutputRouter
from .pid import Pid
from .process import Process, Target, WatchStart
from .runtime import HANDLE_HOST, Runtime, RuntimeStats
from .start_watch import StartWatch
from .starters import EntryStarter, Launched, await_launched, register_starter, waiting_process
from .wasm_body import WasmBody

__all__ = [
    "CANCEL",
    "CONTINUE",
    "EXIT",
    "HANDLE_HOST",
    "LINK_DOWN",
    "SHUTDOWN_KIND",
    "STARTED",
    "STATES",
    "SUPERVISION",
    "SUSPENDED",
    "ActorsError",
    "BodyControl",
    "EntryLoadError",
    "EntryStarter",
    "Event",
    "Finished",
    "FunctionBody",
    "HostConfig",
    "HostQueueFull",
    "HostState",
    "HostStats",
    "HostStoppedError",
    "HostUnavailableError",
    "Launched",
    "Message",
    "NameTakenError",
    "OutputRouter",
    "Pid",
    "Process",
    "ProcessBody",
    "ProcessError",
    "ProcessExitedError",
    "ProcessFunction",
    "ProcessInfo",
    "ProcessTerminated",
    "Received",
    "ResourceLimitError",
    "Runtime",
    "RuntimeCounters",
    "RuntimeStats",
    "RuntimeStoppedError",
    "Shutdown",
    "SpawnArgumentError",
    "SpawnError",
    "StartWatch",
    "StepOutcome",
    "Target",
    "UnknownEntryError",
    "UnknownHostError",
    "UnknownNameError",
    "WasmBody",
    "WatchStart",
    "await_launched",
    "process_role",
    "register_starter",
    "waiting_process",
]
