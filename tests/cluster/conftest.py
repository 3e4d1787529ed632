"""One local Ray cluster for all the cluster tests (three nodes on 127.0.0.1), and apps that
join it (``address: auto``).

Ray costs about 4-6 s and 0.9 GB to start, so the tests of a module share one cluster, shut
down when the module is done (not kept for the rest of the suite). Node 0 is this process on
the head; the two other Ray nodes offer ``wippy_node_1`` and ``wippy_node_2``.
Tests that kill a node give it back (:meth:`RayNodes.revive`) before the next one needs it.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURES, digest
from wippy.cluster import ClusterError, init_ray, shutdown_ray
from wippy.cluster.ray_setup import LOCAL_HEALTH_CHECK, NODE_RESOURCE, import_ray

try:
    import_ray()  # sets Ray's loopback-only environment before Ray is first imported
except ClusterError as exc:
    pytest.skip(f"Ray is not installed: {exc}", allow_module_level=True)

NODES = ("1", "2")


class RayNodes:
    """A module's Ray cluster: kill a node the hard way, give it back."""

    def __init__(self) -> None:
        import_ray()
        from ray.cluster_utils import Cluster

        self.cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "include_dashboard": False,
                            "node_ip_address": "127.0.0.1",
                            "_system_config": LOCAL_HEALTH_CHECK},
        )
        self.nodes: dict[str, Any] = {}
        for key in NODES:
            self.revive(key)
        assert self.cluster.address.startswith("127.0.0.1:"), self.cluster.address
        init_ray(address=self.cluster.address, log_to_driver=False)  # keeps guest traps working

    def kill(self, key: str) -> None:
        """Removes node ``key``'s Ray node at once (raylet and workers killed)."""
        self.cluster.remove_node(self.nodes.pop(key), allow_graceful=False)

    def revive(self, key: str) -> None:
        """Adds a Ray node offering ``wippy_node_<key>`` (if it is not there)."""
        if key not in self.nodes:
            self.nodes[key] = self.cluster.add_node(
                num_cpus=1, resources={NODE_RESOURCE.format(key): 1},
                node_ip_address="127.0.0.1")

    def close(self) -> None:
        """Shuts Ray down (keeping guest traps working in this process)."""
        shutdown_ray()
        self.cluster.shutdown()


@pytest.fixture(scope="module")
def ray_nodes() -> Iterator[RayNodes]:
    """The module's three-node Ray cluster on 127.0.0.1."""
    nodes = RayNodes()
    try:
        yield nodes
    finally:
        nodes.close()


def cluster_app(
    folder: Path, *extra: dict[str, Any], heartbeat: dict[str, Any] | None = None,
    restart_nodes: bool = True,
) -> Path:
    """Writes an app joining the module's cluster: hosts ``t:main`` (node 0), ``t:edge``
    (node 1) and ``t:far`` (node 2), the steps and traps fixtures, and ``extra`` entries."""
    folder.mkdir(parents=True, exist_ok=True)
    cluster: dict[str, Any] = {"name": "cluster", "kind": "cluster.ray", "address": "auto",
                               "restart_nodes": restart_nodes}
    if heartbeat:
        cluster["heartbeat"] = heartbeat
    entries: list[dict[str, Any]] = [
        cluster,
        {"name": "bin", "kind": "fs.directory", "directory": str(FIXTURES)},
        {"name": "main", "kind": "process.host", "host": {"workers": 8, "stop_timeout": "2s"},
         "lifecycle": {"auto_start": True}},
        {"name": "edge", "kind": "process.host", "node": 1,
         "host": {"workers": 8, "stop_timeout": "2s"}, "lifecycle": {"auto_start": True}},
        {"name": "far", "kind": "process.host", "node": 2,
         "host": {"workers": 8, "stop_timeout": "2s"}, "lifecycle": {"auto_start": True}},
        {"name": "sleeper", "kind": "process.wasm", "fs": "t:bin", "path": "steps.wasm",
         "hash": digest(FIXTURES / "steps.wasm"), "method": "sleep_times",
         "imports": ["wasi_snapshot_preview1"]},
        {"name": "add", "kind": "process.wasm", "fs": "t:bin", "path": "traps.wasm",
         "hash": digest(FIXTURES / "traps.wasm"), "method": "add"},
        {"name": "crash", "kind": "process.wasm", "fs": "t:bin", "path": "traps.wasm",
         "hash": digest(FIXTURES / "traps.wasm"), "method": "unreachable"},
        *extra,
    ]
    document = {"version": "1.0", "namespace": "t", "entries": entries}
    (folder / "app.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Polls ``condition`` until it returns something truthy; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)


def ray_tcp_peers() -> set[str]:
    """The remote addresses of the TCP connections of this process and of every Ray process
    on this machine (from ``ss -tnp``)."""
    import os

    ps = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True,
                        check=True).stdout
    pids = {str(os.getpid())}
    for line in ps.splitlines():
        pid, _, args = line.strip().partition(" ")
        if "ray" in args and ("raylet" in args or "gcs_server" in args or "ray::" in args
                              or "default_worker" in args or "/ray/" in args):
            pids.add(pid)
    out = subprocess.run(["ss", "-Htnp"], capture_output=True, text=True, check=True).stdout
    peers = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 6 and any(f"pid={pid}," in fields[5] for pid in pids):
            peers.add(fields[4].rpartition(":")[0].strip("[]"))
    return peers
