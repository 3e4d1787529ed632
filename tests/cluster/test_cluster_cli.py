"""The cluster as a user meets it: `wippy check` and `wippy start` on a cluster app, the
example's demo (Ray started by wippy, a node killed the hard way), and an app without a
cluster that never imports Ray."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.cli.console import finish, popen, read_until, run, write_yaml
from tests.conftest import EXAMPLES, FIXTURES, ROOT, digest

EXAMPLE = EXAMPLES / "cluster"


def _app(folder: Path, address: str, *extra: dict[str, object]) -> Path:
    return write_yaml(
        folder,
        {"name": "cluster", "kind": "cluster.ray", "address": address,
         **({"local_nodes": 1} if address == "local" else {})},
        {"name": "main", "kind": "process.host"},
        {"name": "edge", "kind": "process.host", "node": 1},
        {"name": "bin", "kind": "fs.directory", "directory": str(FIXTURES)},
        {"name": "add", "kind": "process.wasm", "fs": "t:bin", "path": "traps.wasm",
         "hash": digest(FIXTURES / "traps.wasm"), "method": "add"},
        *extra,
    )


def test_check_reports_an_unreachable_cluster_and_what_must_run_on_node_0(
    tmp_path: Path, wasm_cache_dir: Path
) -> None:
    app = _app(tmp_path / "app", "ray://127.0.0.1:9",
               {"name": "sup", "kind": "process.supervisor", "host": "t:edge",
                "children": [{"id": "a", "process": "t:add", "args": [1, 2]}]})
    result = run(wasm_cache_dir, "-C", str(app), "check")
    assert result.returncode == 1, result
    where = f"{app / 'app.yaml'}: entry"
    assert (f"{where} t:cluster: field address: the Ray cluster at 127.0.0.1:9 does not answer"
            in result.stderr)
    assert (f"{where} t:sup: field host: a supervisor runs on node 0 (its host t:edge is on "
            "node 1)" in result.stderr)
    assert result.stderr.endswith("2 problems found\n")


def test_check_passes_a_local_cluster_app(tmp_path: Path, wasm_cache_dir: Path) -> None:
    result = run(wasm_cache_dir, "-C", str(_app(tmp_path / "app", "local")), "check")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("ok: 5 entries, 1 module compiled")


def test_run_a_trapping_guest_on_node_0_of_a_cluster_app(tmp_path: Path,
                                                         wasm_cache_dir: Path) -> None:
    # `run` compiles the module (wasmtime's signal handlers) before Ray starts in the process.
    app = write_yaml(
        tmp_path / "app",
        {"name": "cluster", "kind": "cluster.ray", "address": "local"},
        {"name": "term", "kind": "terminal.host"},
        {"name": "bin", "kind": "fs.directory", "directory": str(FIXTURES)},
        {"name": "crash", "kind": "process.wasm", "fs": "t:bin", "path": "traps.wasm",
         "hash": digest(FIXTURES / "traps.wasm"), "method": "unreachable",
         "meta": {"command": {"name": "crash"}}},
    )
    result = run(wasm_cache_dir, "-C", str(app), "run", "crash", timeout=180)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "wippy: trap: " in result.stderr and "unreachable" in result.stderr


def test_start_shows_nodes_hosts_and_remote_output(wasm_cache_dir: Path) -> None:
    proc = popen(wasm_cache_dir, "-C", str(EXAMPLE), "start")
    try:
        lines = read_until(proc.stdout, "Ctrl-C or SIGTERM stops the app", timeout=120)
        text = "\n".join(lines)
        assert "wippy: app started: 1 supervisor, 0 services, 2 hosts on 2 nodes" in text
        rows = [line.split() for line in lines]
        assert ["node", "0", "up", "(this", "process)"] in rows
        assert ["node", "1", "up", "(incarnation", "0)"] in rows
        assert ["host", "cluster_demo:edge", "node", "1", "running"] in rows
        assert ["host", "cluster_demo:processes", "node", "0", "running"] in rows
        read_until(proc.stdout, "worker 1 alive", timeout=30)  # a guest on node 1 writes here
    finally:
        proc.send_signal(signal.SIGINT)
        status, out, err = finish(proc, timeout=90)
    assert status == 0, (out, err)
    assert "SUPERVISION  cluster_demo:keeper: shutdown" in out
    assert out.rstrip().endswith("wippy: stopped")


def test_the_example_demo_restarts_workers_when_node_1_dies() -> None:
    result = subprocess.run([sys.executable, str(EXAMPLE / "demo.py")], capture_output=True,
                            text=True, timeout=240, cwd=ROOT, check=False)
    assert result.returncode == 0, (result.stdout, result.stderr)
    out = result.stdout
    assert "demo: child w1: running <cluster_demo:edge." in out
    assert "keeper: child_exit w1 (<cluster_demo:edge." in out
    assert "noconnection: node 1 is down" in out
    assert "keeper: restarted w1 (<cluster_demo:processes." in out
    assert "demo: node 1 is back after" in out
    assert "on node 1 ran 2 beats" in out
    lost = next(line for line in out.splitlines() if "child_exit w1" in line)
    seconds = float(lost.split("+")[1].split(" s")[0])
    assert seconds < 10.0, lost  # heartbeats: about 2 s; Ray alone would take about 15 s


def test_an_app_without_a_cluster_never_imports_ray() -> None:
    code = (
        "import sys, wippy\n"
        f"with wippy.load({str(EXAMPLES / 'compute')!r}) as rt, rt.process() as me:\n"
        "    pid = me.spawn_monitored('myns:compute_worker', 'myns:processes', 6, 7)\n"
        "    assert me.receive(timeout=30).value == 42\n"
        "    assert rt.cluster is None\n"
        "print('ray' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT, check=False)
    assert (result.returncode, result.stdout) == (0, "False\n"), result.stderr
