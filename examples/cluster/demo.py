"""The cluster example: kill node 1 under a supervisor's workers and watch them come back.

Starts the app (Ray on 127.0.0.1 with one simulated node), shows where the workers run, kills
node 1 the hard way (its Ray node: raylet and workers, as a machine that dies), prints the
EXITs (kind noconnection) and the restarts on node 0 as they arrive, then brings node 1 back.
Run it with ``python examples/cluster/demo.py`` (needs ``pip install 'wippy[cluster]'``).
"""

from __future__ import annotations

import time
from pathlib import Path

import wippy
from wippy.actors import SUPERVISION, Event
from wippy.cluster import Cluster
from wippy.supervisors import SupervisionReport, Supervisor

HERE = Path(__file__).resolve().parent


def main() -> None:
    started = time.monotonic()
    with wippy.load(HERE) as rt, rt.process() as me:
        cluster = rt.cluster
        assert isinstance(cluster, Cluster)
        print(f"demo: app started in {time.monotonic() - started:.1f} s")
        for info in cluster.node_infos():
            print(f"demo: node {info.key}: {'up' if info.up else 'down'}, hosts "
                  f"{', '.join(info.hosts)}")
        (keeper,) = rt.app_status()
        supervisor = Supervisor(rt, keeper.pid, keeper.entry_id)
        me.monitor(keeper.pid)  # its SUPERVISION reports come to us
        show_children(supervisor)
        time.sleep(2.5)  # the workers on node 1 print through node 0
        print("demo: killing node 1")
        killed = time.monotonic()
        cluster.kill_node(1)
        restarts = 0
        while restarts < 2:
            item = me.receive(timeout=30)
            if item is None:
                raise SystemExit("demo: the supervisor did not restart its workers")
            if isinstance(item, Event) and item.type == SUPERVISION:
                report: SupervisionReport = item.value
                print(f"demo: +{time.monotonic() - killed:.2f} s  {report}")
                restarts += report.action == "restarted"
        show_children(supervisor)
        cluster.restart_node(1)
        if cluster.wait_node(1, timeout=60):
            print(f"demo: node 1 is back after {time.monotonic() - killed:.1f} s; new spawns "
                  "there work again")
            pid = me.spawn_monitored("cluster_demo:worker", "cluster_demo:edge", 9, 100, 2)
            event = me.receive(timeout=30, match=lambda e: isinstance(e, Event) and e.pid == pid)
            print(f"demo: {pid} on node 1 ran {getattr(event, 'value', None)} beats")
        time.sleep(1.0)
    print("demo: stopped")


def show_children(supervisor: Supervisor) -> None:
    """Prints each child and the host (and so the node) it runs on."""
    for child in supervisor.which_children(timeout=10):
        print(f"demo: child {child.id}: {child.state} {child.pid}")


if __name__ == "__main__":
    main()
