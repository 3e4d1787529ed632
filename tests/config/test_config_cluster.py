"""The cluster.ray kind and process.host's node field."""

from __future__ import annotations

from tests.config.config_helpers import WriteYaml, doc, load_ok, load_problems, only_problem
from wippy.config import ClusterRay, ProcessHost, cluster_entry, node_key


def test_a_cluster_app_loads_with_defaults(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(doc(
        "- {name: cluster, kind: cluster.ray, local_nodes: 2}\n"
        "- {name: edge, kind: process.host, node: 2}\n"
        "- {name: gpu, kind: process.host, node: gpu_box}\n"
        "- {name: here, kind: process.host}\n")))
    cluster = cluster_entry(registry.entries)
    assert isinstance(cluster, ClusterRay)
    assert (cluster.address, cluster.local_nodes, cluster.restart_nodes) == ("local", 2, True)
    assert (cluster.heartbeat.interval, cluster.heartbeat.timeout, cluster.heartbeat.misses) == (
        0.5, 0.5, 3)
    nodes = [node_key(e.node) for e in registry.of_kind(ProcessHost)]
    assert nodes == ["2", "gpu_box", "0"]


def test_addresses(write_yaml: WriteYaml) -> None:
    for address in ("auto", "ray://10.0.0.5:10001", "local"):
        entry = f"- {{name: c, kind: cluster.ray, address: '{address}'}}"
        registry = load_ok(write_yaml(doc(entry)))
        assert registry.get_as("myns:c", ClusterRay).address == address
    problem = only_problem(write_yaml(doc("- {name: c, kind: cluster.ray, address: 10.0.0.5}")))
    assert "field address: " in problem and "local, auto or ray://HOST:PORT" in problem


def test_a_node_needs_a_cluster_entry(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc("- {name: edge, kind: process.host, node: 1}")))
    assert "entry myns:edge: field node: node 1 needs a cluster.ray entry" in problem
    load_ok(write_yaml(doc("- {name: edge, kind: process.host, node: 0}")))


def test_node_values_are_checked(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(doc(
        "- {name: cluster, kind: cluster.ray, local_nodes: 1}\n"
        "- {name: a, kind: process.host, node: -1}\n"
        "- {name: b, kind: process.host, node: '3'}\n"
        "- {name: c, kind: process.host, node: 'has space'}\n"
        "- {name: d, kind: process.host, node: true}\n"
        "- {name: e, kind: process.host, node: 4}\n")))
    text = "\n".join(problems)
    assert "myns:a: field node: " in text and "node must be >= 0" in text
    assert "write a node number without quotes (node: 3)" in text
    assert "Ray node id or a custom resource name" in text
    assert "node must be a number or a name, got a boolean" in text
    assert ("entry myns:cluster: host myns:e is on node 4, but this cluster simulates node 1 "
            "(local_nodes: 1)" in text)


def test_cluster_field_rules(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(
        "- {name: c, kind: cluster.ray, address: auto, local_nodes: 2}")))
    assert "field local_nodes: local_nodes needs address: local" in problem
    text = "\n".join(load_problems(write_yaml(doc(
        "- {name: c, kind: cluster.ray, heartbeat: {interval: 0s, misses: 0}}"))))
    assert "field heartbeat.interval: must be greater than zero" in text
    assert "field heartbeat.misses: " in text
    problems = load_problems(write_yaml(doc(
        "- {name: c, kind: cluster.ray}\n- {name: c2, kind: cluster.ray}")))
    assert any("entry myns:c: an app has one cluster entry; also myns:c2" in p for p in problems)


def test_a_local_cluster_without_simulated_nodes_has_only_node_0(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(doc(
        "- {name: cluster, kind: cluster.ray}\n- {name: e, kind: process.host, node: 1}")))
    assert "host myns:e is on node 1, but this cluster simulates no other node" in problem


def test_fallback_hosts_are_references_to_hosts(write_yaml: WriteYaml) -> None:
    from wippy.supervisors import SupervisorSpec

    entries = (
        "- {name: a, kind: process.host}\n- {name: b, kind: process.host}\n"
        "- {name: w, kind: process.python, module: m, method: f}\n"
        "- {name: s, kind: process.supervisor, host: myns:a, children: "
        "[{id: c, process: myns:w, host: myns:a, fallback_hosts: [%s]}]}\n"
    )
    registry = load_ok(write_yaml(doc(entries % "myns:b")))
    (child,) = SupervisorSpec.from_registry(registry, "myns:s").children
    assert (child.host, child.fallback_hosts) == ("myns:a", ("myns:b",))
    problem = only_problem(write_yaml(doc(entries % "myns:w")))
    assert "field children[0].fallback_hosts[0]: " in problem
    assert "process.host or terminal.host" in problem
