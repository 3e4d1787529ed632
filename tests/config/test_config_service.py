"""process.service entries: fields, Wippy's defaults, restart policy checks and requires cycles."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.config.config_helpers import WriteYaml, doc, load_ok, load_problems, only_problem
from wippy.config import ProcessService, known_kinds


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Problems name files relative to the current directory: make that the YAML folder."""
    monkeypatch.chdir(tmp_path)


def service_doc(*services: str) -> str:
    """A document with host ``myns:p``, a ``process.python`` entry ``myns:job`` and services."""
    base = """
        - {name: p, kind: process.host}
        - {name: t, kind: terminal.host}
        - {name: job, kind: process.python, module: tests.actors.python_targets, method: double}
        """
    parts = [textwrap.dedent(text).strip("\n") for text in (base, *services)]
    return doc("\n".join(parts))


def svc(name: str, requires: str = "", extra: str = "") -> str:
    """One service entry running ``myns:job`` on ``myns:p``."""
    lifecycle = f"\n  lifecycle: {{requires: [{requires}]}}" if requires else ""
    return f"- name: {name}\n  kind: process.service\n  process: myns:job\n  host: myns:p" + (
        lifecycle + (("\n" + extra) if extra else "")
    )


def test_kind_is_registered() -> None:
    assert "process.service" in known_kinds()


def test_minimal_service_gets_wippy_defaults(write_yaml: WriteYaml) -> None:
    entry = load_ok(write_yaml(service_doc(svc("s")))).get_as("myns:s", ProcessService)
    assert (entry.process, entry.host, entry.input) == ("myns:job", "myns:p", [])
    life = entry.lifecycle
    assert life.auto_start is False
    assert (life.start_timeout, life.stop_timeout, life.stable_threshold) == (10.0, 10.0, 5.0)
    assert life.requires == []
    policy = life.restart
    assert (policy.initial_delay, policy.max_delay, policy.backoff_factor) == (1.0, 90.0, 2.0)
    assert (policy.jitter, policy.max_attempts) == (0.1, 0)


def test_full_service(write_yaml: WriteYaml) -> None:
    registry = load_ok(
        write_yaml(
            service_doc(
                svc("db"),
                """
                - name: api
                  kind: process.service
                  process: myns:job
                  host: myns:t
                  input: [21, "text", {a: 1}]
                  lifecycle:
                    auto_start: true
                    start_timeout: 2s
                    stop_timeout: 500ms
                    stable_threshold: 1m
                    requires: [myns:db]
                    restart: {initial_delay: 50ms, max_delay: 5s, backoff_factor: 1.5,
                              jitter: 0, max_attempts: 7}
                """,
            )
        )
    )
    entry = registry.get_as("myns:api", ProcessService)
    assert entry.host == "myns:t" and entry.input == [21, "text", {"a": 1}]
    life = entry.lifecycle
    assert (life.auto_start, life.start_timeout, life.stop_timeout) == (True, 2.0, 0.5)
    assert (life.stable_threshold, life.requires) == (60.0, ["myns:db"])
    policy = life.restart
    assert (policy.initial_delay, policy.max_delay, policy.backoff_factor) == (0.05, 5.0, 1.5)
    assert (policy.jitter, policy.max_attempts) == (0.0, 7)


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ("stop_timeout: -1s", "stop_timeout", "must not be negative"),
        ("stable_threshold: -5ms", "stable_threshold", "must not be negative"),
        ("start_timeout: 0s", "start_timeout", "must be greater than zero"),
        ("start_timeout: 5", "start_timeout", "write a unit"),
        ("restart: {initial_delay: -1s}", "restart.initial_delay", "must not be negative"),
        ("restart: {max_delay: -2s}", "restart.max_delay", "must not be negative"),
        ("restart: {backoff_factor: 0.5}", "restart.backoff_factor", "must be a number >= 1"),
        ("restart: {jitter: 1.5}", "restart.jitter", "between 0 and 1"),
        ("restart: {jitter: -0.1}", "restart.jitter", "between 0 and 1"),
        ("restart: {max_attempts: -1}", "restart.max_attempts", "greater than or equal to 0"),
        ("restart: {initial_delay: 5s, max_delay: 1s}", "restart",
         "max_delay (1s) must not be less than initial_delay (5s)"),
        ("restart: {backof_factor: 2}", "restart.backof_factor", "did you mean 'backoff_factor'"),
        ('auto_start: "true"', "auto_start", "valid boolean"),
    ],
)
def test_invalid_lifecycle_values_name_file_entry_and_field(
    write_yaml: WriteYaml, extra: str, field: str, message: str
) -> None:
    text = service_doc(svc("s") + "\n  lifecycle: {" + extra + "}")
    problem = only_problem(write_yaml(text))
    assert problem.startswith(f"main.yaml: entry myns:s: field lifecycle.{field}: "), problem
    assert message in problem, problem


def test_max_delay_equal_to_initial_delay_is_allowed(write_yaml: WriteYaml) -> None:
    text = service_doc(svc("s") + "\n  lifecycle: {restart: {initial_delay: 2s, max_delay: 2s}}")
    entry = load_ok(write_yaml(text)).get_as("myns:s", ProcessService)
    assert entry.lifecycle.restart.max_delay == 2.0


def test_process_and_host_must_be_the_right_kinds(write_yaml: WriteYaml) -> None:
    text = service_doc(
        """
        - name: s
          kind: process.service
          process: myns:p
          host: myns:job
        """
    )
    problems = load_problems(write_yaml(text))
    assert any(
        "field process: refers to myns:p, which is a process.host; expected a process.wasm or "
        "process.python" in p for p in problems
    ), problems
    assert any(
        "field host: refers to myns:job, which is a process.python; expected a process.host or "
        "terminal.host" in p for p in problems
    ), problems


def test_process_and_host_are_required(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(service_doc("- {name: s, kind: process.service}")))
    assert sorted(problems) == [
        "main.yaml: entry myns:s: field host: missing required field",
        "main.yaml: entry myns:s: field process: missing required field",
    ]


def test_requires_an_unknown_entry(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(service_doc(svc("alpha"), svc("b", "myns:alpah"))))
    assert problem.startswith(
        "main.yaml: entry myns:b: field lifecycle.requires[0]: refers to myns:alpah, which is not "
        "defined (did you mean myns:alpha"
    ), problem


def test_requires_a_non_service(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(service_doc(svc("a", "myns:job"))))
    assert problem == (
        "main.yaml: entry myns:a: field lifecycle.requires[0]: refers to myns:job, which is a "
        "process.python; expected a process.service"
    )


def test_requires_must_be_a_full_id(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(service_doc(svc("a"), svc("b", "a"))))
    assert "entry myns:b: field lifecycle.requires[0]: must be a full entry id" in problem


def test_requires_listed_twice(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(service_doc(svc("a"), svc("b", "myns:a, myns:a"))))
    assert problem == (
        "main.yaml: entry myns:b: field lifecycle.requires[1]: myns:a is already listed at "
        "lifecycle.requires[0]"
    )


def test_service_requiring_itself(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml(service_doc(svc("a", "myns:a"))))
    assert problem == (
        "main.yaml: entry myns:a: field lifecycle.requires[0]: requires cycle: myns:a -> myns:a"
    )


def test_requires_cycle_is_reported_once_with_its_path(write_yaml: WriteYaml) -> None:
    problem = only_problem(
        write_yaml(
            service_doc(
                svc("a", "myns:b"),
                svc("b", "myns:ok, myns:c"),
                svc("c", "myns:a"),
                svc("ok"),
            )
        )
    )
    assert problem == (
        "main.yaml: entry myns:a: field lifecycle.requires[0]: requires cycle: "
        "myns:a -> myns:b -> myns:c -> myns:a"
    )


def test_cycle_across_files_is_reported_on_the_first_loaded(write_yaml: WriteYaml) -> None:
    write_yaml(service_doc(svc("a", "other:b")), "1.yaml")
    second = doc(
        """
        - name: b
          kind: process.service
          process: myns:job
          host: myns:p
          lifecycle: {requires: [myns:a]}
        """,
        namespace="other",
    )
    path = write_yaml(second, "2.yaml")
    problem = only_problem(path.parent)
    assert problem == (
        "1.yaml: entry myns:a: field lifecycle.requires[0]: requires cycle: "
        "myns:a -> other:b -> myns:a"
    )


def test_diamond_requires_is_not_a_cycle(write_yaml: WriteYaml) -> None:
    registry = load_ok(
        write_yaml(
            service_doc(
                svc("top", "myns:left, myns:right"),
                svc("left", "myns:base"),
                svc("right", "myns:base"),
                svc("base"),
            )
        )
    )
    assert len(registry.of_kind(ProcessService)) == 4
