"""OTP's restart rules for a supervisor's children: which exits a child's restart type
restarts, and the restart intensity past which the supervisor gives up."""

from __future__ import annotations

import time
from collections import deque

from wippy.actors import SHUTDOWN_KIND, ProcessError
from wippy.supervisors.spec import ChildSpec


def wants_restart(spec: ChildSpec, error: ProcessError | None) -> bool:
    """True when a child of ``spec`` that exited with ``error`` (None: normally) is restarted:
    always when ``permanent``, on an error other than ``shutdown`` when ``transient``, never
    when ``temporary``."""
    if spec.restart == "permanent":
        return True
    if spec.restart == "transient":
        return error is not None and error.kind != SHUTDOWN_KIND
    return False


class RestartIntensity:
    """The restarts of one supervisor within a sliding window: more than ``intensity``
    restarts within ``period`` seconds are too many."""

    def __init__(self, intensity: int, period: float) -> None:
        self.intensity = intensity
        self.period = period
        self._times: deque[float] = deque()

    def add(self) -> bool:
        """Counts a restart now; True when that makes more than ``intensity`` within
        ``period`` seconds."""
        now = time.monotonic()
        times = self._times
        times.append(now)
        while times and times[0] < now - self.period:
            times.popleft()
        return len(times) > self.intensity

    def describe(self) -> str:
        """Why a supervisor that reached it gives up, for its report and exit error."""
        return f"reached max restart intensity ({self.intensity} restarts in {self.period:g}s)"
