"""The benchmark app: a temporary registry over the committed fixture binaries, and its runtime."""

from __future__ import annotations

import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import wippy
from tools.fixture_manifest import pinned
from wippy.actors import Runtime
from wippy.wasm import HostModule, WasmRuntime

from .harness import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "wasm"
WORKER = ROOT / "examples" / "compute" / "wasm" / "worker.wasm"  # compute(a, b) = a * b
REACTOR = FIXTURES / "wasi_c_reactor.wasm"  # sleep_ms(ms) -> ms, via WASI poll_oneoff
TRAPS = FIXTURES / "traps.wasm"  # add(a, b), count(n): a loop of n iterations
HOST_RAISE = FIXTURES / "host_raise.wasm"  # run(x) calls the host's wippy_test.fail(x)

HOST = "bench:procs"
COMPUTE = "bench:compute"
SLEEPER = "bench:sleeper"
COUNTER = "bench:count"
CRASHER = "bench:crasher"


class CrashSwitch:
    """The host function behind ``bench:crasher``: the guest blocks in it until told to crash.

    A guest entering ``fail`` reports ``(thread id, perf_counter)`` on :attr:`running`, waits for
    :meth:`crash`, notes the moment in :attr:`crashed_at` and raises, which fails the guest (and
    so the process) with a host-function error. After :meth:`drain` guests return at once
    (a normal exit) instead, so that nothing is left blocked when a scenario ends.
    """

    def __init__(self) -> None:
        self.running: queue.Queue[float] = queue.Queue()
        self._go = threading.Semaphore(0)
        self.crashed_at = 0.0
        self.draining = False

    def fail(self, code: int) -> int:
        """The host function: report, wait, crash (or return ``code`` when draining)."""
        if self.draining:
            return code
        self.running.put(time.perf_counter())
        self._go.acquire()
        if self.draining:
            return code
        self.crashed_at = time.perf_counter()
        raise RuntimeError(f"crash {code} requested by the benchmark")

    def reset(self) -> None:
        """Starts a scenario afresh: guests block again, and no crash or report is pending."""
        self.running = queue.Queue()
        self._go = threading.Semaphore(0)
        self.draining = False

    def drain(self) -> None:
        """Makes every blocked and future guest return normally."""
        self.draining = True
        self._go.release()
        while not self.running.empty():
            self.running.get_nowait()

    def crash(self) -> None:
        """Lets one waiting guest crash."""
        self._go.release()


SWITCH = CrashSwitch()


def _wasm(name: str, fs: str, path: Path, method: str, extra: str = "") -> str:
    """One ``process.wasm`` entry, pinned to the binary's hash in the fixture manifest."""
    return (
        f"  - {{name: {name}, kind: process.wasm, fs: bench:{fs}, "
        f'path: {path.name}, hash: "{pinned(path)}", method: {method}{extra}}}\n'
    )


WORKERS = 8
"""The benchmark host's workers: the README's own host (``workers: 8``)."""
ONE = "bench:one"
"""A host of one worker, for the time-slice scenario."""
STEPS = FIXTURES / "steps.wasm"  # spin() loops forever; add(a, b); sleep(ms)
SPINNER = "bench:spin"
ADDER = "bench:add"
STEP_SLEEPER = "bench:steps_sleep"


def write_app(directory: Path, workers: int = WORKERS) -> Path:
    """Writes the benchmark app's ``app.yaml`` into ``directory`` and returns the directory."""
    text = (
        'version: "1.0"\nnamespace: bench\nentries:\n'
        f"  - {{name: wasm, kind: fs.directory, directory: {FIXTURES}}}\n"
        f"  - {{name: compute_wasm, kind: fs.directory, directory: {WORKER.parent}}}\n"
        f"  - {{name: procs, kind: process.host, host: {{workers: {workers}, "
        "queue_size: 200000, stop_timeout: 5s}, lifecycle: {auto_start: true}}\n"
        "  - {name: one, kind: process.host, host: {workers: 1, queue_size: 1000}, "
        "lifecycle: {auto_start: true}}\n"
    )
    text += _wasm("compute", "compute_wasm", WORKER, "compute")
    text += _wasm("sleeper", "wasm", REACTOR, "sleep_ms", ", imports: [wasi1]")
    text += _wasm("count", "wasm", TRAPS, "count")
    text += _wasm("crasher", "wasm", HOST_RAISE, "run")
    steps = ", imports: [wasi:cli, wasi:clocks]"
    text += _wasm("spin", "wasm", STEPS, "spin", steps)
    text += _wasm("add", "wasm", STEPS, "add", steps)
    text += _wasm("steps_sleep", "wasm", STEPS, "sleep", steps)
    (directory / "app.yaml").write_text(text)
    return directory


def host_modules() -> list[HostModule]:
    """The host functions the benchmark's guests import."""
    return [HostModule("wippy_test", {"fail": (("i32",), ("i32",), SWITCH.fail)})]


@contextmanager
def bench_runtime(workers: int = WORKERS) -> Iterator[Runtime]:
    """A started runtime of the benchmark app with its own compile cache; stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="wippy-bench-") as tmp:
        app = write_app(Path(tmp), workers)
        with WasmRuntime(cache_dir=Path(tmp) / "cache", host_modules=host_modules()) as wasm:
            runtime = wippy.load(app, wasm=wasm)
            try:
                yield runtime
            finally:
                runtime.stop()
