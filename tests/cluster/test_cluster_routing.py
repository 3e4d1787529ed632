"""Processes on three nodes of a real local Ray cluster: spawn, send (in order, in batches),
monitor, link, cancel, terminate, names and payloads that cannot cross, with the same API as on
one node."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import wippy
from tests.cluster import procs
from tests.cluster.conftest import RayNodes, cluster_app, ray_tcp_peers, wait_for
from wippy.actors import EXIT, LINK_DOWN, Event, Message, NameTakenError, Pid
from wippy.cluster import Cluster, NotSent, NotTransferableError
from wippy.supervisors import AppRuntime


@pytest.fixture(scope="module")
def app(ray_nodes: RayNodes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppRuntime]:
    """One app on nodes 0, 1 and 2 for the tests of this module (none kills a node)."""
    folder = cluster_app(tmp_path_factory.mktemp("routing"))
    with wippy.load(folder) as rt:
        yield rt


def test_hosts_live_on_their_nodes(app: AppRuntime) -> None:
    cluster = app.cluster
    assert isinstance(cluster, Cluster)
    assert list(app.hosts) == ["t:main"]  # only node 0's hosts are created here
    infos = {info.key: info for info in cluster.node_infos()}
    assert set(infos) == {"0", "1", "2"}
    assert all(info.up for info in infos.values())
    assert list(infos["1"].hosts) == ["t:edge"] and list(infos["2"].hosts) == ["t:far"]
    assert infos["1"].hosts["t:edge"] is not None
    assert app.host_stats("t:edge").state.value == "running"


def test_remote_spawn_echo_keeps_order(app: AppRuntime) -> None:
    total = 3000
    with app.process() as me:
        pid = me.spawn_function(procs.echo, "t:edge", total, monitor=True)
        assert pid.host == "t:edge"
        for i in range(total):
            me.send(pid, "n", i)
        got = [me.receive(timeout=30, topic="echo:n") for _ in range(total)]
        assert [m.payload for m in got if isinstance(m, Message)] == [(i,) for i in range(total)]
        assert all(isinstance(m, Message) and m.sender == pid for m in got)
        exit_event = me.receive(timeout=30)
        assert isinstance(exit_event, Event) and exit_event.type == EXIT
        assert exit_event.pid == pid and exit_event.value == "done" and exit_event.error is None


def test_order_holds_from_many_senders_on_two_nodes(app: AppRuntime) -> None:
    total = 2000
    with app.process() as me:
        counters = [me.spawn_function(procs.count_to, "t:far", me.self, total, monitor=True)
                    for _ in range(2)]
        senders = [me.spawn_function(procs.flood, host, counter, total)
                   for host, counter in zip(("t:edge", "t:main"), counters)]
        assert [s.host for s in senders] == ["t:edge", "t:main"]
        for _ in counters:
            reply = me.receive(timeout=60, match=lambda i: isinstance(i, Message))
            assert isinstance(reply, Message) and reply.topic == "counted", reply


def test_wasm_guests_run_on_a_remote_node(app: AppRuntime) -> None:
    with app.process() as me:
        adder = me.spawn_monitored("t:add", "t:edge", 20, 22)
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == adder and event.value == 42
        crash = me.spawn_monitored("t:crash", "t:far")
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == crash
        assert event.error is not None and event.error.kind == "trap"
        sleeper = me.spawn_monitored("t:sleeper", "t:edge", 1000, 100)
        assert app.is_alive(sleeper) and me.is_alive(str(sleeper))
        assert me.cancel(sleeper, reason="test")
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == sleeper
        assert event.error is not None and event.error.kind == "shutdown"
        assert not app.is_alive(sleeper)


def test_guest_traps_on_node_0_stay_traps_with_ray_in_this_process(app: AppRuntime) -> None:
    # Ray replaces the fatal-signal handlers wasmtime turns traps into errors with; wippy puts
    # them back. Without that, this kills the test process (SIGILL).
    with app.process() as me:
        for _ in range(3):
            pid = me.spawn_monitored("t:crash", "t:main")
            event = me.receive(timeout=30)
            assert isinstance(event, Event) and event.pid == pid and event.error is not None
            assert event.error.kind == "trap"


def test_remote_spawn_errors_come_back_as_spawn_errors(app: AppRuntime) -> None:
    from wippy.actors import SpawnArgumentError, UnknownEntryError

    with app.process() as me:
        with pytest.raises(UnknownEntryError, match="t:nothing"):
            me.spawn("t:nothing", "t:edge")
        with pytest.raises(SpawnArgumentError):
            me.spawn("t:add", "t:edge", "six", 7)
        with pytest.raises(SpawnArgumentError, match="cannot be pickled"):
            me.spawn_function(procs.echo, "t:edge", threading.Lock())


def test_monitor_and_link_across_nodes(app: AppRuntime) -> None:
    with app.process() as me:
        me.set_options(trap_links=True)
        worker = me.spawn_function(procs.fail_on, "t:edge", "die")
        me.monitor(worker)
        me.link(worker)
        me.send(worker, "die")
        events = [me.receive(timeout=30) for _ in range(2)]
        kinds = sorted(e.type for e in events if isinstance(e, Event) and e.pid == worker)
        assert kinds == [EXIT, LINK_DOWN], events
        assert all(isinstance(e, Event) and e.error is not None and e.error.kind == "exception"
                   and "asked to fail" in e.error.message for e in events)
        # A link from node 1 to a process here: when ours fails, theirs fails too (kind linked).
        peer = app.spawn_function(procs.fail_on, "t:main", "die")
        follower = me.spawn_function(procs.linked_worker, "t:edge", peer)
        me.monitor(follower)
        wait_for(lambda: app.table.get(peer) and app.table.get(peer).links, what="the link")
        app.send(peer, "die")
        event = me.receive(timeout=30, match=lambda e: isinstance(e, Event) and e.pid == follower)
        assert isinstance(event, Event) and event.error is not None
        assert event.error.kind == "linked"
        # Monitoring a remote pid that is gone: EXIT noproc from its node.
        me.monitor(worker)
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.error is not None
        assert (event.pid, event.error.kind) == (worker, "noproc")
    wait_for(lambda: app.stats().links == 0 and app.stats().monitors == 0, what="no edges left")


def test_spawn_linked_monitored_remote_child_fails_fast(app: AppRuntime) -> None:
    # The EXIT of a child that dies at once must not overtake the spawn's reply.
    with app.process() as me:
        me.set_options(trap_links=True)
        for _ in range(20):
            pid = me.spawn_linked_monitored("t:crash", "t:far")
            items = [me.receive(timeout=30) for _ in range(2)]
            assert sorted(i.type for i in items if isinstance(i, Event) and i.pid == pid) == [
                EXIT, LINK_DOWN]


def test_terminate_and_cancel_remote_processes(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.echo_forever, "t:far", monitor=True)
        me.send(pid, "hello")
        assert me.receive(timeout=30, topic="echo:hello") is not None
        assert me.cancel(pid, reason="done", grace=10)
        event = me.receive(timeout=30, match=lambda e: isinstance(e, Event) and e.type == EXIT)
        assert isinstance(event, Event) and event.ok
        pid = me.spawn_function(procs.echo_forever, "t:edge", monitor=True)
        assert me.terminate(pid)
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.error is not None
        assert event.error.kind == "terminated"


def test_names_work_across_nodes(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.register_and_wait, "t:edge", "svc", monitor=True)
        assert wait_for(lambda: me.lookup("svc"), what="the name") == pid
        assert app.lookup("svc") == pid
        assert me.send("svc", "hi", 1)
        reply = me.receive(timeout=30, topic="echo:hi")
        assert isinstance(reply, Message) and reply.sender == pid
        with pytest.raises(NameTakenError):
            me.register("svc")
        me.cancel("svc")
        event = me.receive(timeout=30, match=lambda e: isinstance(e, Event) and e.type == EXIT)
        assert isinstance(event, Event) and event.pid == pid
        wait_for(lambda: me.lookup("svc") is None, what="the name freed")
        me.register("svc")  # free again: anyone may take it


def test_values_that_cannot_cross_are_refused_at_send(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.echo, "t:edge", 2, monitor=True)
        refused = r"cannot send 'lock' to .*cannot be pickled"
        with pytest.raises(NotTransferableError, match=refused):
            me.send(pid, "lock", threading.Lock())
        assert me.send(pid, "f", lambda x: x + 1)  # Ray's cloudpickle takes what pickle cannot
        reply = me.receive(timeout=30, topic="echo:f")
        assert isinstance(reply, Message) and reply.payload[0](1) == 2
        assert me.send(pid, "after", 3)  # nothing was lost or broken by the refused send
        reply = me.receive(timeout=30, topic="echo:after")
        assert isinstance(reply, Message) and reply.payload == (3,)


def test_exit_value_that_cannot_cross_arrives_as_not_sent(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.return_lock, "t:edge", monitor=True)
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == pid and event.error is None
        assert isinstance(event.value, NotSent) and "lock" in event.value.text


def test_processes_on_two_remote_nodes_talk_directly(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.relay, "t:edge", "t:far", 50, monitor=True)
        event = me.receive(timeout=60)
        assert isinstance(event, Event) and event.pid == pid and event.error is None, event
        assert event.value == ",".join(str(i) for i in range(50)) + ";done@t:far"


def test_cancel_event_reaches_a_remote_process_from_a_handle(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.echo_forever, "t:edge", monitor=True)
        assert me.cancel(pid, grace=30)
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.type == EXIT and event.ok
        assert not me.cancel(Pid("t:nowhere", 1), grace=1)  # no such host: no such process


def test_only_loopback_is_contacted(app: AppRuntime) -> None:
    peers = ray_tcp_peers()
    assert peers, "no connection of Ray's found"
    assert peers <= {"127.0.0.1", "::ffff:127.0.0.1", "::1"}, peers


def test_no_exit_after_unmonitor_and_no_edges_left_on_either_node(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.fail_on, "t:edge", "die")
        me.monitor(pid)
        me.unmonitor(pid)
        me.send(pid, "die")
        probe = me.spawn_monitored("t:add", "t:edge", 1, 1)  # ordered after the unmonitor
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == probe, event
        assert me.receive(timeout=0.5) is None
    cluster = app.cluster
    assert isinstance(cluster, Cluster)
    wait_for(lambda: all(info.processes == 0 for info in cluster.node_infos()
                         if info.key != "0"), what="no processes left on nodes 1 and 2")
    for node in ("1", "2"):
        info = cluster.requests.call(node, "info", (), timeout=10)
        assert (info["monitors"], info["links"]) == (0, 0), (node, info)


def test_remote_hosts_are_stopped_and_started_from_node_0(app: AppRuntime) -> None:
    from wippy.actors import HostStoppedError

    with app.process() as me:
        sleeper = me.spawn_monitored("t:sleeper", "t:far", 1000, 100)
        app.stop_host("t:far")  # its processes are stopped as on one node
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == sleeper and event.error is not None
        assert app.host_stats("t:far").state.value == "stopped"
        with pytest.raises(HostStoppedError, match="t:far"):
            me.spawn("t:add", "t:far", 1, 2)
        app.start_host("t:far")
        pid = me.spawn_monitored("t:add", "t:far", 1, 2)
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.pid == pid and event.value == 3


def test_remote_spawn_registers_its_name_and_reports_its_start(app: AppRuntime) -> None:
    with app.process() as me:
        pid = me.spawn_function(procs.ready_after, "t:edge", "go", "warm", monitor=True,
                                name="remote-ready", watch_start="ack")
        assert wait_for(lambda: app.lookup("remote-ready") == pid)
        assert me.await_started(pid, ack=True, timeout=0.3) is None  # not acked yet
        me.send("remote-ready", "go")
        started = me.await_started(pid, ack=True, timeout=30)
        assert isinstance(started, Event) and started.pid == pid and started.value == "warm"
        # a later watch of a process that acked already is answered by its node at once
        again = me.await_started(pid, ack=True, timeout=30)
        assert isinstance(again, Event) and again.value == "warm"
        assert me.cancel(pid)
        event = me.receive(timeout=30)
        assert isinstance(event, Event) and event.type == EXIT and event.pid == pid
        assert me.receive(timeout=0.2) is None  # no stray STARTED left behind
    assert wait_for(lambda: app.lookup("remote-ready") is None)
