"""Two wippy nodes of a local Ray cluster (127.0.0.1): messages across, spawning on the other
node next to spawning here, and how long a lost node takes to reach the monitors as EXITs.

Ray is started once for the group (``address: local``, one simulated node, about 5-10 s and
0.9 GB); without Ray every row is skipped with a note.
"""

from __future__ import annotations

import hashlib
import importlib.util
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

import wippy
from wippy.actors import Event, Message, Runtime

from .apps import FIXTURES, WORKER
from .harness import WIPPY, Goal, Scenario, Sizes, measure, per_op_us
from .messaging import flood, receive_all

MAIN = "bench:main"  # node 0
EDGE = "bench:edge"  # node 1
COMPUTE = "bench:compute"
SLEEPER = "bench:sleeper"
KEYS = ("cluster_msgs_0to1", "cluster_msgs_1to0", "cluster_spawn_local", "cluster_spawn_remote",
        "cluster_node_loss")


@contextmanager
def _cluster_app() -> Iterator[Runtime]:
    """A two-node app: ``bench:main`` here, ``bench:edge`` on a simulated node 1."""

    with tempfile.TemporaryDirectory(prefix="wippy-bench-cluster-") as folder:
        reactor = FIXTURES / "steps.wasm"  # sleep_times(n, ms): a guest that waits
        entries = [
            {"name": "cluster", "kind": "cluster.ray", "address": "local", "local_nodes": 1},
            {"name": "bin", "kind": "fs.directory", "directory": str(WORKER.parent)},
            {"name": "fixtures", "kind": "fs.directory", "directory": str(reactor.parent)},
            {"name": "main", "kind": "process.host", "host": {"workers": 16},
             "lifecycle": {"auto_start": True}},
            {"name": "edge", "kind": "process.host", "node": 1, "host": {"workers": 16},
             "lifecycle": {"auto_start": True}},
            {"name": "compute", "kind": "process.wasm", "fs": "bench:bin", "path": WORKER.name,
             "hash": "sha256:" + hashlib.sha256(WORKER.read_bytes()).hexdigest(),
             "method": "compute"},
            {"name": "sleeper", "kind": "process.wasm", "fs": "bench:fixtures",
             "path": reactor.name, "method": "sleep_times",
             "hash": "sha256:" + hashlib.sha256(reactor.read_bytes()).hexdigest(),
             "imports": ["wasi_snapshot_preview1"]},
        ]
        document = {"version": "1.0", "namespace": "bench", "entries": entries}
        (Path(folder) / "app.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        with wippy.load(folder) as rt:
            yield rt


def _messages(rt: Runtime, sender_host: str, receiver_host: str, total: int) -> float:
    with rt.process() as me:
        receiver = me.spawn_function(receive_all, receiver_host, me.self, total)
        sender = me.spawn_function(flood, sender_host, receiver, total)
        time.sleep(0.05)  # both are waiting now
        started = time.perf_counter()
        me.send(sender, "go")
        done = me.receive(timeout=300, topic="done")
        elapsed = time.perf_counter() - started
        assert isinstance(done, Message), done
    return total / elapsed


def _spawns(rt: Runtime, host: str) -> Callable[[int], int]:
    def loop(n: int) -> int:
        with rt.process() as me:
            for _ in range(n):
                pid = me.spawn_monitored(COMPUTE, host, 6, 7)
                event = me.receive(timeout=60)
                assert isinstance(event, Event) and event.pid == pid and event.value == 42, event
        return n

    return loop


def _node_loss(rt: Runtime) -> float:
    """Seconds from killing node 1 (its Ray node) to the EXIT of a process there; node 1 is
    then brought back for the next round."""
    cluster = rt.cluster
    assert cluster is not None
    with rt.process() as me:
        pid = me.spawn_monitored(SLEEPER, EDGE, 10_000, 100)
        killed = time.perf_counter()
        cluster.kill_node(1)  # type: ignore[attr-defined]
        event = me.receive(timeout=60)
        took = time.perf_counter() - killed
        assert isinstance(event, Event) and event.pid == pid and event.error is not None, event
        assert event.error.kind == "noconnection", event
    cluster.restart_node(1)  # type: ignore[attr-defined]
    if not cluster.wait_node(1, timeout=120):  # type: ignore[attr-defined]
        raise RuntimeError("node 1 did not come back")
    return took


def cluster_scenarios(sizes: Sizes) -> list[Scenario]:
    """The cluster rows; all skipped with a note when Ray is not installed."""
    rows = [
        Scenario("cluster_msgs_0to1", "cluster: messages node 0 -> node 1", "msgs/s", "higher",
                 Goal(">= 20,000 msgs/s (issue #16)", lambda m: m[WIPPY] >= 20_000)),
        Scenario("cluster_msgs_1to0", "cluster: messages node 1 -> node 0", "msgs/s", "higher",
                 Goal(">= 20,000 msgs/s (issue #16)", lambda m: m[WIPPY] >= 20_000)),
        Scenario("cluster_spawn_local", "cluster: spawn-run-exit on node 0 (local host)",
                 "µs/process", "lower"),
        Scenario("cluster_spawn_remote", "cluster: spawn-run-exit on node 1 (from node 0)",
                 "µs/process", "lower"),
        Scenario("cluster_node_loss", "cluster: node loss -> EXIT delivered", "s", "lower",
                 Goal("under 3 s (issue #16)", lambda m: m[WIPPY] < 3.0)),
    ]
    if importlib.util.find_spec("ray") is None:
        for row in rows:
            row.skipped = "Ray is not installed (pip install 'wippy[cluster]')"
        return rows
    by_key = {row.key: row for row in rows}
    n = sizes.messages
    spawns = max(10, sizes.spawns // 4)
    with _cluster_app() as rt:
        for key, sender, receiver in (("cluster_msgs_0to1", MAIN, EDGE),
                                      ("cluster_msgs_1to0", EDGE, MAIN)):
            measure(by_key[key],
                    {WIPPY: lambda s=sender, r=receiver: _messages(rt, s, r, n)}, sizes.rounds)
        for key, host in (("cluster_spawn_local", MAIN), ("cluster_spawn_remote", EDGE)):
            loop = _spawns(rt, host)
            measure(by_key[key], {WIPPY: per_op_us(lambda lp=loop: lp(spawns))}, sizes.rounds)
        measure(by_key["cluster_node_loss"], {WIPPY: lambda: _node_loss(rt)}, sizes.rounds,
                warmup=0)
    for key in ("cluster_msgs_0to1", "cluster_msgs_1to0"):
        by_key[key].notes.append(
            f"{n} messages from a function process on one node to one on the other, counted "
            "there; batched per peer (one batch in flight), node 1 -> node 0 pulled by node 0")
    by_key["cluster_spawn_remote"].notes.append(
        "spawn_monitored(compute, 6, 7) on node 1 + its EXIT back on node 0; the local row is "
        "the same on node 0 of the same app")
    by_key["cluster_node_loss"].notes.append(
        "kill_node(1) (its Ray node killed) until the EXIT (noconnection) of a process there; "
        "heartbeat 500 ms, timeout 500 ms, 3 misses; Ray alone reports the dead actor after "
        "~15 s")
    return rows
