"""An app's runtime: hosts, then auto-start supervisors and services, stopped in reverse."""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from wippy.actors import Pid, Runtime
from wippy.config import ProcessSupervisor
from wippy.supervisors.children import await_exit
from wippy.supervisors.client import start_supervisor
from wippy.supervisors.service import ServiceSpec, service_order, start_service

if TYPE_CHECKING:
    from wippy.actors import OutputRouter
    from wippy.config import Registry
    from wippy.wasm import WasmRuntime

logger = logging.getLogger("wippy.supervisors")

AppKind = Literal["process.supervisor", "process.service"]


@dataclass(frozen=True)
class AppItem:
    """One supervisor or service the app started: its entry id, kind, pid and current state
    (``"running"`` or ``"exited"``)."""

    entry_id: str
    kind: AppKind
    pid: Pid
    state: Literal["running", "exited"]


class AppRuntime(Runtime):
    """A :class:`~wippy.actors.Runtime` that also runs the app's supervisors and services.

    :meth:`start_app` (called by the constructor unless ``start=False``) starts every
    ``auto_start`` ``process.supervisor`` (in registry order) and then every ``auto_start``
    ``process.service`` (in ``requires`` order), each fully started before the next.
    :meth:`stop` stops them in reverse order, each with its own shutdown settings, then the
    hosts. Raises what the failing start raised (after stopping what had started).
    """

    def __init__(
        self,
        registry: Registry,
        *,
        wasm: WasmRuntime | None = None,
        output: OutputRouter | None = None,
        engine: str | None = None,
        start: bool = True,
    ) -> None:
        super().__init__(registry, wasm=wasm, output=output, engine=engine)
        self._items: list[tuple[str, AppKind, Pid]] = []
        self._app_lock = threading.Lock()
        self._app_started = False
        if start:
            try:
                self.start_app()
            except BaseException:
                super().stop()
                raise

    def start_app(self) -> None:
        """Starts the auto-start supervisors and services; no-op when already started."""
        with self._app_lock:
            if self._app_started:
                return
            self._app_started = True
        registry = self.registry
        assert registry is not None  # given to the constructor
        try:
            for entry in registry.of_kind(ProcessSupervisor):
                if entry.lifecycle.auto_start:
                    supervisor = start_supervisor(self, entry.id)
                    self._started(entry.id, "process.supervisor", supervisor.pid)
            for entry_id in service_order(registry):
                pid = start_service(self, ServiceSpec.from_registry(registry, entry_id))
                self._started(entry_id, "process.service", pid)
        except BaseException:
            logger.error("app start failed; stopping what started")
            self._stop_items()
            raise

    def _started(self, entry_id: str, kind: AppKind, pid: Pid) -> None:
        logger.info("started %s %s (%s)", kind, entry_id, pid)
        with self._app_lock:
            self._items.append((entry_id, kind, pid))

    def app_status(self) -> list[AppItem]:
        """The started supervisors and services, in start order, with their state now."""
        with self._app_lock:
            items = list(self._items)
        return [
            AppItem(entry_id, kind, pid, "running" if self.is_alive(pid) else "exited")
            for entry_id, kind, pid in items
        ]

    def stop_app(self) -> None:
        """Stops the started supervisors and services in reverse start order, each with its own
        shutdown settings, and waits for each; the hosts keep running. Idempotent."""
        self._stop_items()

    def _stop_items(self) -> None:
        with self._app_lock:
            items, self._items = list(self._items), []
        if not items:
            return
        with self.process() as handle:
            for entry_id, kind, pid in reversed(items):
                handle.monitor(pid)
                if not handle.cancel(pid, reason="app stopping", grace=math.inf):
                    continue
                logger.info("stopping %s %s (%s)", kind, entry_id, pid)
                event = await_exit(handle, pid)
                if event.error is not None and event.error.kind != "noproc":
                    logger.warning("%s %s stopped with %s", kind, entry_id, event.error)

    def stop(self, join_timeout: float = 10.0) -> None:
        """Stops the supervisors and services (reverse start order), then the runtime."""
        if self.stopped:
            return
        try:
            self._stop_items()
        finally:
            super().stop(join_timeout)
