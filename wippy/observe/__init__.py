"""wippy.observe: looking at a running app from outside it.

:mod:`.snapshot` turns a runtime into plain data (hosts, the process tree, counters);
:mod:`.control` serves it, and operations on the app, on a Unix socket that
:mod:`.client` talks to; :mod:`.metrics` serves Prometheus metrics; :mod:`.tree` lays a
snapshot out as the rows ``wippy ps`` and ``wippy top`` show.
"""

from __future__ import annotations

from .client import ControlClient, NotRunning, wait_gone
from .control import (
    AlreadyRunning,
    ControlError,
    ControlServer,
    RequestError,
    app_folder,
    socket_path,
)
from .metrics import METRICS, MetricsServer, RuntimeCollector, parse_address
from .requests import AppRequests

__all__ = [
    "METRICS",
    "AlreadyRunning",
    "AppRequests",
    "ControlClient",
    "ControlError",
    "ControlServer",
    "MetricsServer",
    "NotRunning",
    "RequestError",
    "RuntimeCollector",
    "app_folder",
    "parse_address",
    "socket_path",
    "wait_gone",
]
