"""wippy.supervisors: restart trees with OTP's semantics, Wippy services, and running an app.

:func:`start_supervisor` starts a supervisor process from a :class:`SupervisorSpec` (or a
``process.supervisor`` entry) and returns a :class:`Supervisor` client; ``process.service``
entries keep one process running with back-off (:func:`start_service`); :class:`AppRuntime`
starts an app's auto-start supervisors and services and stops them in reverse order.
Importing this package also makes both entry kinds spawnable like any process
(``proc.spawn_monitored("app:workers", host)``; see :mod:`.starters`).
"""

from __future__ import annotations

from . import starters as _starters  # makes supervisor and service entries spawnable
from .app import AppItem, AppRuntime
from .client import Supervisor, start_supervisor
from .errors import AlreadyStartedError, SupervisorError, SupervisorStartError
from .protocol import ChildCounts, ChildInfo
from .reports import SupervisionReport
from .service import (
    RestartSpec,
    ServiceGaveUp,
    ServiceSpec,
    ServiceStartError,
    service_order,
    start_service,
)
from .spec import BRUTAL_KILL, INFINITY, ChildSpec, SupervisorSpec

del _starters

__all__ = [
    "BRUTAL_KILL",
    "INFINITY",
    "AlreadyStartedError",
    "AppItem",
    "AppRuntime",
    "ChildCounts",
    "ChildInfo",
    "ChildSpec",
    "RestartSpec",
    "ServiceGaveUp",
    "ServiceSpec",
    "ServiceStartError",
    "SupervisionReport",
    "Supervisor",
    "SupervisorError",
    "SupervisorSpec",
    "SupervisorStartError",
    "service_order",
    "start_service",
    "start_supervisor",
]
