"""Waiting without blocking, for stepped guests (on fibers): a receive or a sleep as a
:class:`~wippy.wasm.spec.Wait` that completes later, while the guest is suspended."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wippy.actors.events import Received
from wippy.actors.mailbox import MailboxClosed
from wippy.actors.matchers import receive_matcher
from wippy.actors.ops import ProcessOps
from wippy.actors.table import ProcessRecord
from wippy.wasm.spec import Wait


class SteppedWaits:
    """Mixin of :class:`~wippy.actors.Process`: :meth:`receive_later` and :meth:`sleep_later`."""

    _runtime: ProcessOps
    _record: ProcessRecord

    if TYPE_CHECKING:  # from the Process

        def _check(self) -> None: ...

        def _exited(self) -> BaseException: ...

    def receive_later(
        self,
        timeout: float | None = None,
        topic: str | None = None,
        match: Callable[[Received], bool] | None = None,
    ) -> Wait:
        """Like :meth:`receive`, for a stepped guest that must not block: a
        :class:`~wippy.wasm.spec.Wait` that completes with the item taken (None on timeout).

        The guest waits suspended until it completes; if the guest is dropped first, nothing
        is taken from the mailbox.
        """
        self._check()
        accept = receive_matcher(topic, match)
        mailbox = self._record.mailbox
        lock = threading.Lock()
        state: dict[str, Any] = {"done": False, "timer": None}

        def finish_timer() -> None:
            timer = state["timer"]
            if timer is not None:
                timer.cancel()

        def arrived() -> None:
            with lock:
                if state["done"]:
                    return
                try:
                    item = mailbox.take_or_watch(accept, arrived)
                except MailboxClosed:
                    state["done"] = True
                    failure: BaseException | None = self._exited()
                    item = None
                else:
                    if item is None:
                        return
                    state["done"] = True
                    failure = None
            finish_timer()
            if failure is not None:
                wait.fail(failure)
            else:
                wait.complete(item)

        def expired() -> None:
            with lock:
                if state["done"]:
                    return
                state["done"] = True
                mailbox.unwatch()
            wait.complete(None)

        def cancelled() -> None:
            with lock:
                state["done"] = True
                mailbox.unwatch()
            finish_timer()

        wait = Wait(on_cancel=cancelled, label="receive")
        if timeout is not None and timeout <= 0:
            try:
                wait.complete(mailbox.get(0, accept))
            except MailboxClosed:
                wait.fail(self._exited())
            return wait
        arrived()
        if not wait.done and timeout is not None:
            with lock:
                if not state["done"]:
                    state["timer"] = self._runtime.timers.schedule(timeout, expired)
        return wait

    def sleep_later(self, seconds: float) -> Wait:
        """A :class:`~wippy.wasm.spec.Wait` that completes with None after ``seconds``: a
        sleep for a stepped guest that must not block. Cancelling the wait drops its timer."""
        self._check()
        timer: list[Any] = []

        def expired() -> None:
            wait.complete(None)

        wait = Wait(on_cancel=lambda: timer[0].cancel() if timer else None)
        timer.append(self._runtime.timers.schedule(max(0.0, seconds), expired))
        return wait
