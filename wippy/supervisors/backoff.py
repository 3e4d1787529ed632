"""Wippy's restart back-off for services: the policy (:class:`RestartSpec`) and the count of
one service's consecutive failures it is applied to (:class:`Backoff`)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartSpec:
    """When to restart a failed child; see :meth:`delay`. ``max_attempts`` 0 means no limit.

    Defaults are Wippy's: 1 s doubling up to 90 s, ±10 % jitter. Raises ValueError for negative
    delays, ``max_delay < initial_delay``, ``backoff_factor < 1``, ``jitter`` outside [0, 1] or
    negative ``max_attempts``.
    """

    initial_delay: float = 1.0
    max_delay: float = 90.0
    backoff_factor: float = 2.0
    jitter: float = 0.1
    max_attempts: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.initial_delay < math.inf:
            raise ValueError(f"initial_delay must be >= 0 s, got {self.initial_delay!r}")
        if not self.initial_delay <= self.max_delay < math.inf:
            raise ValueError(
                f"max_delay must be >= initial_delay ({self.initial_delay} s), "
                f"got {self.max_delay!r}"
            )
        if not 1.0 <= self.backoff_factor < math.inf:
            raise ValueError(f"backoff_factor must be >= 1, got {self.backoff_factor!r}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter!r}")
        if not isinstance(self.max_attempts, int) or self.max_attempts < 0:
            raise ValueError(f"max_attempts must be an int >= 0, got {self.max_attempts!r}")

    def base_delay(self, failures: int) -> float:
        """The delay before restarting after ``failures`` consecutive failures, without jitter:
        ``min(max_delay, initial_delay * backoff_factor ** (failures - 1))``.

        Raises ValueError when ``failures`` < 1.
        """
        if failures < 1:
            raise ValueError(f"failures must be >= 1, got {failures}")
        try:
            grown = self.initial_delay * self.backoff_factor ** (failures - 1)
        except OverflowError:
            grown = math.inf
        return min(self.max_delay, grown)

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """:meth:`base_delay` varied uniformly by ``±jitter`` of itself, capped at ``max_delay``.

        ``rng`` (default: the ``random`` module's generator) draws the variation. Raises
        ValueError when ``failures`` < 1.
        """
        base = self.base_delay(failures)
        spread = (rng or random).uniform(-self.jitter, self.jitter) if self.jitter else 0.0
        return min(self.max_delay, max(0.0, base * (1.0 + spread)))



class Backoff:
    """The consecutive failures of one service under ``policy`` and the delays they earn.

    The count starts from zero again when the run that failed lasted at least
    ``stable_threshold`` seconds.
    """

    def __init__(self, policy: RestartSpec, stable_threshold: float) -> None:
        self.policy = policy
        self.stable_threshold = stable_threshold
        self.failures = 0
        self.rng = random.Random()

    def fail(self, ran: float) -> int:
        """Counts a failure of a run that lasted ``ran`` seconds; returns the count."""
        if ran >= self.stable_threshold:
            self.failures = 0
        self.failures += 1
        return self.failures

    @property
    def exhausted(self) -> bool:
        """True once the count reached the policy's ``max_attempts`` (0: never)."""
        attempts = self.policy.max_attempts
        return bool(attempts) and self.failures >= attempts

    def delay(self) -> float:
        """The delay before the next restart: the policy's :meth:`~RestartSpec.delay` for the
        count, with this service's own generator for the jitter."""
        return self.policy.delay(self.failures, self.rng)
