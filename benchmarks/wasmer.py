"""The optional wasmer column: wippy on the wasmer engine, from ``tools/bench-wasmer.py --serve``.

wasmer-python runs on CPython 3.10 only, so the column is measured by that script under the
``.venv310`` interpreter (``make test`` builds it), as a round server (see
:mod:`benchmarks.remote`): its rounds interleave with the other columns' like Erlang's.
"""

from __future__ import annotations

from .harness import ROOT
from .remote import RoundServer

SCRIPT = ROOT / "tools" / "bench-wasmer.py"
PYTHON = ROOT / ".venv310" / "bin" / "python"


def available() -> str | None:
    """None when the wasmer helper can run, else why the wasmer column is empty."""
    if not PYTHON.exists():
        return ("wasmer column skipped: .venv310/bin/python (a Python 3.10 venv, which "
                "`make test` builds when Python 3.10 is installed) is missing")
    return None


class WasmerNode(RoundServer):
    """``tools/bench-wasmer.py --serve`` under Python 3.10: rounds of wippy on wasmer.

    Requests: ``call_overhead <calls>``, ``instantiate <instances>``, ``gil_impact <seconds>``.
    Raises RuntimeError when it does not start (wasmer-python missing, for example).
    """

    def __init__(self, timeout: float = 300.0) -> None:
        super().__init__("wasmer", [str(PYTHON), str(SCRIPT), "--serve"], cwd=ROOT,
                         timeout=timeout)
