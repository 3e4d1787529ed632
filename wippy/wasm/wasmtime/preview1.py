"""WASI preview 1 on fibers: wasmtime's implementation, with the calls that wait replaced.

wasmtime's own ``poll_oneoff``, ``sched_yield`` and ``fd_read`` block the thread they run on. A
stepped guest must give its worker back instead, so wippy defines them as async host functions:

- ``poll_oneoff`` with only clock subscriptions (``sleep``, ``nanosleep``, Rust's
  ``thread::sleep``, relative or absolute) suspends the guest until the earliest deadline, on the
  engine's timer thread; a zero or past deadline returns at once. With a live stdin, a set of
  clocks and reads of fd 0 waits for the earliest of them. Any other set (other descriptors,
  CPU-time clocks, an empty set) goes to wasmtime's own ``poll_oneoff`` (:mod:`.delegate`):
  files are always ready, so it returns at once; a FIFO or device that is not ready blocks the
  worker until it is (wasmtime's C API gives no access to the host descriptor to wait on it).
- ``sched_yield`` ends the guest's time slice: it goes to the back of its host's run queue.
- With a live stdin (an :class:`~wippy.wasm.spec.InputStream`, such as the terminal for a
  process on the terminal host), ``fd_read`` of fd 0 suspends the guest until input arrives;
  other descriptors go to wasmtime's ``fd_read``.

Every other preview 1 function is wasmtime's, synchronous and non-blocking for files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime import _ffi as ffi

from ..spec import InputStream
from .calls import HostOp, calling_guard, define_async
from .delegate import PREVIEW1, Delegate
from .guard import Guard
from .memory import CallerMemory

if TYPE_CHECKING:
    from wippy.timers import TimerHandle, Timers

# A subscription (48 bytes): userdata u64 @0, tag u8 @8 (0 = clock, 1 = fd_read, 2 = fd_write),
# then for a clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40; for an fd:
# fd u32 @16. An event (32 bytes): userdata u64 @0, error u16 @8, type u8 @10, then for fd
# events nbytes u64 @16 and flags u16 @24 (1 = hangup).
_SUBSCRIPTION = 48
_EVENT = 32
_CLOCK, _FD_READ = 0, 1
_CLOCK_REALTIME, _CLOCK_MONOTONIC = 0, 1
_ABSTIME = 1
_HANGUP = 1
_EFAULT, _EBADF = 21, 8
_I32: Any = ffi.WASMTIME_I32.value


def _u32(value: int) -> int:
    return value & 0xFFFFFFFF


@dataclass(frozen=True)
class _Sub:
    userdata: bytes
    deadline: float | None  # a clock's monotonic deadline; None for a read of stdin


def _subscriptions(
    mem: CallerMemory, subs: int, count: int, live_stdin: bool
) -> list[_Sub] | None:
    """The set as clocks wippy can time (and stdin reads, with a live stdin), else None."""
    if count == 0 or not mem.fits(subs, count * _SUBSCRIPTION):
        return None
    now, wall = time.monotonic(), time.time_ns()
    found = []
    for i in range(count):
        sub = subs + i * _SUBSCRIPTION
        userdata, tag = mem.read(sub, 8), mem.read_int(sub + 8, 1)
        if tag == _FD_READ and live_stdin and mem.read_int(sub + 16, 4) == 0:
            found.append(_Sub(userdata, None))
            continue
        if tag != _CLOCK:
            return None
        clock = mem.read_int(sub + 16, 4)
        timeout, flags = mem.read_int(sub + 24, 8), mem.read_int(sub + 40, 2)
        if flags & _ABSTIME:
            if clock != _CLOCK_REALTIME:
                return None
            found.append(_Sub(userdata, now + (timeout - wall) / 1e9))
        elif clock in (_CLOCK_REALTIME, _CLOCK_MONOTONIC):
            found.append(_Sub(userdata, now + timeout / 1e9))
        else:
            return None
    return found


def _ready(stdin: InputStream | None) -> bool:
    return stdin is not None and (stdin.available() > 0 or stdin.at_end())


def _events(subs: list[_Sub], stdin: InputStream | None) -> list[bytes]:
    """The events due now: passed deadlines, and stdin reads when input (or its end) is there."""
    now = time.monotonic()
    events = []
    for sub in subs:
        if sub.deadline is None:
            if stdin is not None and _ready(stdin):
                nbytes = stdin.available()
                hangup = _HANGUP if nbytes == 0 else 0
                events.append(sub.userdata + bytes([0, 0, _FD_READ]) + bytes(5)
                              + nbytes.to_bytes(8, "little") + hangup.to_bytes(2, "little")
                              + bytes(6))
        elif sub.deadline <= now:
            events.append(sub.userdata + bytes(_EVENT - 8))
    return events


def _write_events(mem: CallerMemory, out: int, nevents: int, events: list[bytes]) -> int:
    if not (mem.fits(out, len(events) * _EVENT) and mem.fits(nevents, 4)):
        return _EFAULT
    for k, event in enumerate(events):
        mem.write(out + k * _EVENT, event)
    mem.write(nevents, len(events).to_bytes(4, "little"))
    return 0


class _Poll(HostOp):
    """A guest suspended in ``poll_oneoff`` until its earliest deadline or stdin input."""

    __slots__ = ("args", "stdin", "subs", "timer")

    def __init__(
        self, guard: Guard, args: tuple[int, int], subs: list[_Sub], timers: Timers,
        stdin: InputStream | None,
    ) -> None:
        super().__init__(guard)
        self.args = args
        self.subs = subs
        self.stdin = stdin
        deadlines = [s.deadline for s in subs if s.deadline is not None]
        self.timer: TimerHandle | None = (
            timers.schedule_at(min(deadlines), self.wake) if deadlines else None
        )
        if stdin is not None and any(s.deadline is None for s in subs):
            stdin.watch(self.wake)

    def finish(self) -> None:
        out, nevents = self.args
        events = _events(self.subs, self.stdin)
        if not events:  # woken by stdin that another reader drained: report the earliest clock
            clocks = [s for s in self.subs if s.deadline is not None]
            events = [min(clocks, key=lambda s: s.deadline or 0).userdata + bytes(_EVENT - 8)]
        self.cancel()
        self.results[0].kind = _I32
        self.results[0].of.i32 = _write_events(CallerMemory(self.caller), out, nevents, events)

    def cancel(self) -> None:
        timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()


class _Yield(HostOp):
    """``sched_yield``: ready at once, but gives up the time slice first."""

    __slots__ = ()

    is_yield = True

    def __init__(self, guard: Guard) -> None:
        super().__init__(guard)
        self.ready = True
        self.yields = True

    def finish(self) -> None:
        self.results[0].kind = _I32
        self.results[0].of.i32 = 0


class _StdinRead(HostOp):
    """A guest suspended in ``fd_read(0)`` until its live stdin has input (or ends)."""

    __slots__ = ("args", "stdin")

    def __init__(self, guard: Guard, args: tuple[int, int, int], stdin: InputStream) -> None:
        super().__init__(guard)
        self.args = args
        self.stdin = stdin
        stdin.watch(self.wake)

    def finish(self) -> None:
        self.results[0].kind = _I32
        self.results[0].of.i32 = _read_stdin(CallerMemory(self.caller), *self.args, self.stdin)


def _iovecs(mem: CallerMemory, iovs: int, count: int) -> list[tuple[int, int]] | None:
    if not mem.fits(iovs, count * 8):
        return None
    vecs = [(mem.read_int(iovs + 8 * i, 4), mem.read_int(iovs + 8 * i + 4, 4))
            for i in range(count)]
    return vecs if all(mem.fits(p, n) for p, n in vecs) else None


def _read_stdin(mem: CallerMemory, iovs: int, count: int, nread: int,
                stdin: InputStream) -> int:
    vecs = _iovecs(mem, iovs, count)
    if vecs is None or not mem.fits(nread, 4):
        return _EFAULT
    data = stdin.read(sum(n for _, n in vecs)) or b""
    offset = 0
    for ptr, length in vecs:
        chunk = data[offset:offset + length]
        mem.write(ptr, chunk)
        offset += len(chunk)
        if offset >= len(data):
            break
    mem.write(nread, len(data).to_bytes(4, "little"))
    return 0


def define_preview1(
    linker: wasmtime.Linker, engine: wasmtime.Engine, timers: Timers, *, live_stdin: bool = False
) -> None:
    """Defines WASI preview 1 on ``linker``, with the suspending ``poll_oneoff`` and
    ``sched_yield`` (and, with ``live_stdin``, ``fd_read`` of a live stdin)."""
    linker.define_wasi()
    delegate: list[Delegate] = []

    def wasmtime_call(caller: Any, name: str, args: Any, results: Any) -> None:
        if not delegate:
            delegate.append(Delegate(engine))
        delegate[0].call(caller, name, args, results)

    def poll_oneoff(caller: Any, args: Any, nargs: int, results: Any, nres: int) -> HostOp | None:
        subs_ptr, out, count, nevents = (_u32(args[i].of.i32) for i in range(4))
        mem = CallerMemory(caller)
        guard = calling_guard()
        stdin = guard.stdin if live_stdin else None
        subs = _subscriptions(mem, subs_ptr, count, stdin is not None)
        if subs is None:
            wasmtime_call(caller, "poll_oneoff", args, results)
            return None
        events = _events(subs, stdin)
        if events:
            results[0].kind = _I32
            results[0].of.i32 = _write_events(mem, out, nevents, events)
            return None
        return _Poll(guard, (out, nevents), subs, timers, stdin)

    def sched_yield(caller: Any, args: Any, nargs: int, results: Any, nres: int) -> HostOp:
        return _Yield(calling_guard())

    def fd_read(caller: Any, args: Any, nargs: int, results: Any, nres: int) -> HostOp | None:
        fd, iovs, count, nread = (_u32(args[i].of.i32) for i in range(4))
        guard = calling_guard()
        stdin = guard.stdin
        if fd != 0 or stdin is None:
            wasmtime_call(caller, "fd_read", args, results)
            return None
        if _ready(stdin):
            results[0].kind = _I32
            results[0].of.i32 = _read_stdin(CallerMemory(caller), iovs, count, nread, stdin)
            return None
        return _StdinRead(guard, (iovs, count, nread), stdin)

    i32 = wasmtime.ValType.i32
    four = wasmtime.FuncType([i32()] * 4, [i32()])
    define_async(linker, PREVIEW1, "poll_oneoff", four, poll_oneoff)
    define_async(linker, PREVIEW1, "sched_yield", wasmtime.FuncType([], [i32()]), sched_yield)
    if live_stdin:
        define_async(linker, PREVIEW1, "fd_read", four, fd_read)
