"""The Erlang/OTP column: ``wippy_bench.erl`` run by ``erl`` as a round server.

:class:`ErlangNode` compiles the module with ``erlc`` and starts ``erl`` running it, which then
answers one round per request (see :mod:`benchmarks.remote`), so the Erlang column takes its
turn in the harness's interleaved rounds like any other column. Its live-memory figure is the
growth of the ``erl`` OS process's RSS (``/proc/<pid>/status``), the quantity the other columns
report, not ``erlang:memory(total)``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .harness import BenchmarkError
from .remote import RoundServer

SOURCE = Path(__file__).with_name("wippy_bench.erl")


def available() -> str | None:
    """None when erl and erlc are on PATH, else why the Erlang column is empty."""
    missing = [tool for tool in ("erl", "erlc") if shutil.which(tool) is None]
    if missing:
        return (
            f"Erlang/OTP column skipped: {' and '.join(missing)} not found "
            "(Debian: apt-get install erlang-base; `make bench` tries that when run as root)"
        )
    return None


def rss_kib(pid: int) -> int:
    """The resident set size of OS process ``pid``, KiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchmarkError(f"no VmRSS in /proc/{pid}/status")


class ErlangNode(RoundServer):
    """One ``erl`` serving rounds of ``wippy_bench.erl``; stop it with ``close()`` or ``with``.

    Raises RuntimeError when ``erlc`` fails or the node does not come up.
    """

    def __init__(self, timeout: float = 600.0) -> None:
        self._beam = tempfile.TemporaryDirectory(prefix="wippy-bench-erl-")
        compiled = subprocess.run(
            ["erlc", "-o", self._beam.name, str(SOURCE)], capture_output=True, text=True,
            check=False,
        )
        if compiled.returncode != 0:
            self._beam.cleanup()
            raise RuntimeError(f"erlc failed: {compiled.stdout}{compiled.stderr}")
        try:
            super().__init__(
                "erl",
                # +sbwt none...: schedulers that ran out of work sleep at once instead of
                # spinning, which would take CPU from the next column's round
                ["erl", "-noshell", "-pa", self._beam.name, "+P", "1000000",
                 "+sbwt", "none", "+sbwtdcpu", "none", "+sbwtdio", "none",
                 "-run", "wippy_bench", "main"],
                timeout=timeout,
            )
        except BaseException:
            self._beam.cleanup()
            raise

    def live_kib_per_process(self, n: int) -> float:
        """RSS growth of this node per idle process (blocked in ``receive``), for ``n`` of them.

        Meant for a fresh node, as each live count of the other columns runs in a fresh
        interpreter. The processes are stopped again before it returns.
        """
        self.request("gc")
        before = rss_kib(self.os_pid)
        self.request("live_spawn", n)
        after = rss_kib(self.os_pid)
        self.request("live_stop")
        return (after - before) / n

    def close(self) -> None:
        """Stops the node and removes the compiled module."""
        super().close()
        self._beam.cleanup()
