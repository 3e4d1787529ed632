"""A node that dies: heartbeats find out (Ray itself takes ~15 s), every monitor of its
processes gets EXIT and every link LINK_DOWN with kind ``noconnection``, spawning there fails
until it is back, and a supervisor on node 0 restarts its children on a fallback host."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import wippy
from tests.cluster import procs
from tests.cluster.conftest import RayNodes, cluster_app, wait_for
from wippy.actors import EXIT, LINK_DOWN, SUPERVISION, Event, Message, Pid, Process
from wippy.cluster import Cluster, NodeDownError
from wippy.supervisors import SupervisionReport, Supervisor

NOCONNECTION = "noconnection"


def _events(me: Process, count: int, timeout: float = 20.0) -> list[Event]:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        item = me.receive(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(item, Event):
            got.append(item)
    return got


def test_node_loss_fires_noconnection_and_node_comes_back(
    ray_nodes: RayNodes, tmp_path: Path
) -> None:
    folder = cluster_app(tmp_path / "app")
    with wippy.load(folder) as rt, rt.process() as me:
        cluster = rt.cluster
        assert isinstance(cluster, Cluster)
        me.set_options(trap_links=True)
        sleeper = me.spawn_monitored("t:sleeper", "t:far", 1000, 100)
        linked = me.spawn_function(procs.echo_forever, "t:far", link=True)
        # A process on node 0 that is linked to a process of node 2, without trapping: it
        # fails with kind linked when the node is lost; the watcher of node 2 is forgotten.
        bystander = rt.spawn_function(procs.fail_on, "t:main", "never")
        me.monitor(bystander)
        follower = rt.spawn_function(procs.linked_worker, "t:main", linked)
        me.monitor(follower)
        watcher_there = me.spawn_function(procs.echo_forever, "t:far")
        rt.table.monitor(bystander, watcher_there)
        rt.table.remote_monitor(watcher_there, bystander)  # node 2 "monitors" bystander too
        wait_for(lambda: rt.is_alive(sleeper) and rt.table.get(follower).links, what="links")

        killed = time.monotonic()
        ray_nodes.kill("2")
        events = _events(me, 3)
        took = time.monotonic() - killed
        by_pid = {(e.type, e.pid): e for e in events}
        assert set(by_pid) == {(EXIT, sleeper), (LINK_DOWN, linked), (EXIT, follower)}, events
        for key in ((EXIT, sleeper), (LINK_DOWN, linked)):
            error = by_pid[key].error
            assert error is not None and error.kind == NOCONNECTION
            assert error.message == "node 2 is down"
        follower_error = by_pid[(EXIT, follower)].error
        assert follower_error is not None and follower_error.kind == "linked"
        assert took < 10.0, f"node loss took {took:.1f} s to reach the monitors"
        assert not cluster.is_up("2")
        assert rt.is_alive(bystander) and rt.table.get(bystander).monitors == {me.self}

        with pytest.raises(NodeDownError, match="node 2 is down"):
            me.spawn("t:add", "t:far", 1, 2)
        assert not me.send(linked, "hello")  # its node is gone: as for a dead pid
        assert not rt.is_alive(linked)
        me.monitor(sleeper)
        event = me.receive(timeout=5)
        assert isinstance(event, Event) and event.error is not None
        assert (event.type, event.error.kind) == (EXIT, NOCONNECTION)
        me.link(linked)
        event = me.receive(timeout=5)
        assert isinstance(event, Event) and event.error is not None
        assert (event.type, event.error.kind) == (LINK_DOWN, NOCONNECTION)

        ray_nodes.revive("2")
        assert cluster.wait_node(2, timeout=60), "node 2 did not come back"
        again = me.spawn_monitored("t:add", "t:far", 2, 3)
        assert again.number > 1_000_000  # a new incarnation never reuses a pid of the old one
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == again and event.value == 5
        me.cancel(bystander)
        wait_for(lambda: not rt.is_alive(bystander), what="bystander gone")
    stats = rt.stats()
    assert (stats.processes, stats.monitors, stats.links) == (0, 0, 0), stats


def test_supervisor_restarts_children_of_a_lost_node_on_a_fallback_host(
    ray_nodes: RayNodes, tmp_path: Path
) -> None:
    ray_nodes.revive("1")
    supervisor = {
        "name": "workers", "kind": "process.supervisor", "host": "t:main",
        "strategy": "one_for_one", "intensity": 10, "period": "10s",
        "children": [
            {"id": f"w{i}", "process": "t:sleeper", "args": [1000, 100], "host": "t:edge",
             "fallback_hosts": ["t:far", "t:main"]} for i in range(3)
        ],
        "lifecycle": {"auto_start": True},
    }
    folder = cluster_app(tmp_path / "app", supervisor)
    with wippy.load(folder) as rt, rt.process() as me:
        cluster = rt.cluster
        assert isinstance(cluster, Cluster)
        (item,) = rt.app_status()
        client = Supervisor(rt, item.pid, "t:workers")
        me.monitor(item.pid)
        before = client.which_children(timeout=10)
        assert [c.pid.host for c in before if c.pid] == ["t:edge"] * 3
        ray_nodes.kill("2")  # the first fallback is down too: the children land on t:main
        assert cluster.wait_node(2, up=False, timeout=20)
        cluster.kill_node(1)  # a joined cluster: the actor of node 1 is killed
        reports: list[SupervisionReport] = []

        def restarted() -> bool:
            item = me.receive(timeout=0.1)
            if isinstance(item, Event) and item.type == SUPERVISION:
                reports.append(item.value)
            return sum(r.action == "restarted" for r in reports) == 3

        wait_for(restarted, timeout=30, what="three restarts")
        exits = [r for r in reports if r.action == "child_exit"]
        assert len(exits) == 3 and all(r.error and r.error.kind == NOCONNECTION for r in exits)
        after = client.which_children(timeout=10)
        assert [c.state for c in after] == ["running"] * 3
        assert [c.pid.host for c in after if c.pid] == ["t:main"] * 3
        assert all(rt.is_alive(c.pid) for c in after if c.pid)
        # Node 1's Ray node is still there, so its actor is made again; node 2 stays down.
        assert cluster.wait_node(1, timeout=60)
        assert not cluster.is_up("2")
    ray_nodes.revive("2")


def test_values_keep_flowing_to_other_nodes_while_one_is_lost(
    ray_nodes: RayNodes, tmp_path: Path
) -> None:
    ray_nodes.revive("1")
    ray_nodes.revive("2")
    folder = cluster_app(tmp_path / "app", heartbeat={"interval": "200ms", "timeout": "300ms",
                                                     "misses": 2}, restart_nodes=False)
    with wippy.load(folder) as rt, rt.process() as me:
        cluster = rt.cluster
        assert isinstance(cluster, Cluster)
        near = me.spawn_function(procs.echo_forever, "t:edge", monitor=True)
        far = me.spawn_function(procs.echo_forever, "t:far", monitor=True)
        killed = time.monotonic()
        cluster.kill_node(2)
        event = me.receive(timeout=20, match=lambda e: isinstance(e, Event))
        took = time.monotonic() - killed
        assert isinstance(event, Event) and event.pid == far and event.error is not None
        assert event.error.kind == NOCONNECTION
        assert took < 5.0, took  # 200 ms pings, two misses of 300 ms
        for i in range(100):
            assert me.send(near, "n", i)
        got = [me.receive(timeout=10, topic="echo:n") for _ in range(100)]
        assert [m.payload for m in got if isinstance(m, Message)] == [(i,) for i in range(100)]
        time.sleep(1.5)
        assert not cluster.is_up("2")  # restart_nodes: false
        assert isinstance(near, Pid) and rt.is_alive(near)
