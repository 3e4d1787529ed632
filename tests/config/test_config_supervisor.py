"""process.supervisor entries: defaults, OTP's validation rules, references and cycles."""

from __future__ import annotations

import math

from tests.config.config_helpers import WriteYaml, doc, load_ok, load_problems, only_problem
from wippy.config import ProcessSupervisor
from wippy.supervisors import SupervisorSpec

BASE = """
- {name: processes, kind: process.host}
- {name: job, kind: process.python, module: os, method: getcwd}
"""


def sup_doc(body: str) -> str:
    return doc(BASE + body)


def test_defaults_are_otps(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(sup_doc("""
- name: sup
  kind: process.supervisor
  host: myns:processes
  children:
    - {id: a, process: myns:job}
""")))
    entry = registry.get_as("myns:sup", ProcessSupervisor)
    assert (entry.strategy, entry.intensity, entry.period, entry.auto_shutdown) == (
        "one_for_one", 1, 5.0, "never")
    child = entry.children[0]
    assert (child.restart, child.shutdown, child.significant, child.args) == (
        "permanent", None, False, [])
    spec = SupervisorSpec.from_registry(registry, "myns:sup")
    assert spec.children[0].shutdown_time == 5.0 and spec.name == "myns:sup"


def test_shutdown_accepts_durations_brutal_kill_and_infinity(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(sup_doc("""
- name: inner
  kind: process.supervisor
  host: myns:processes
  children: [{id: a, process: myns:job, shutdown: brutal_kill}]
- name: outer
  kind: process.supervisor
  host: myns:processes
  children:
    - {id: s, process: myns:inner}
    - {id: b, process: myns:job, shutdown: 250ms}
    - {id: c, process: myns:job, shutdown: infinity}
""")))
    spec = SupervisorSpec.from_registry(registry, "myns:outer")
    nested, timed, forever = spec.children
    assert isinstance(nested.process, SupervisorSpec)
    assert math.isinf(nested.shutdown_time)  # supervisors default to infinity
    assert nested.process.children[0].shutdown_time == 0.0
    assert timed.shutdown_time == 0.25 and math.isinf(forever.shutdown_time)


def test_invalid_settings_are_all_reported_with_entry_and_field(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(sup_doc("""
- name: s1
  kind: process.supervisor
  host: myns:processes
  strategy: one_for_most
  intensity: -1
- name: s2
  kind: process.supervisor
  host: myns:processes
  children:
    - {id: a, process: myns:job, restart: sometimes, shutdown: soon}
""")))
    text = "\n".join(problems)
    assert "myns:s1" in text and "strategy" in text and "one_for_most" in text
    assert "intensity" in text
    assert "myns:s2" in text and "children[0].restart" in text
    assert "children[0].shutdown" in text and "brutal_kill" in text


def test_otp_child_rules(write_yaml: WriteYaml) -> None:
    cases = {
        "duplicate child id 'a'": """
  children: [{id: a, process: myns:job}, {id: a, process: myns:job}]""",
        "significant child must be transient or temporary": """
  auto_shutdown: any_significant
  children: [{id: a, process: myns:job, significant: true}]""",
        "auto_shutdown is 'never'": """
  children: [{id: a, process: myns:job, restart: temporary, significant: true}]""",
        "exactly one child": """
  strategy: simple_one_for_one
  children: [{id: a, process: myns:job}, {id: b, process: myns:job}]""",
        "auto_shutdown must be 'never' for simple_one_for_one": """
  strategy: simple_one_for_one
  auto_shutdown: all_significant
  children: [{id: a, process: myns:job, restart: temporary}]""",
        "period must be greater than zero": """
  period: 0s""",
    }
    for expected, body in cases.items():
        problem = only_problem(write_yaml(sup_doc(
            "- name: sup\n  kind: process.supervisor\n  host: myns:processes" + body)))
        assert "myns:sup" in problem and expected in problem, (expected, problem)


def test_references_must_exist_and_be_process_entries(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(sup_doc("""
- name: sup
  kind: process.supervisor
  host: myns:nohost
  children:
    - {id: a, process: myns:missing}
    - {id: b, process: myns:processes}
""")))
    text = "\n".join(problems)
    assert "myns:nohost" in text and "myns:missing" in text
    assert "children[1].process" in text


def test_a_supervisor_that_contains_itself_is_rejected(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(sup_doc("""
- name: a
  kind: process.supervisor
  host: myns:processes
  children: [{id: b, process: myns:b}]
- name: b
  kind: process.supervisor
  host: myns:processes
  children: [{id: a, process: myns:a}]
""")))
    assert any("myns:a -> myns:b -> myns:a" in p for p in problems), problems


def test_a_duplicate_child_id_does_not_hide_the_child_references(write_yaml: WriteYaml) -> None:
    problems = load_problems(write_yaml(sup_doc("""
- name: sup
  kind: process.supervisor
  host: myns:processes
  children: [{id: a, process: myns:job}, {id: a, process: myns:nojob}]
""")))
    assert len(problems) == 2, problems
    assert "entry myns:sup: field children[1].id: duplicate child id 'a' (also children[0])" in (
        problems[0])
    assert "entry myns:sup: field children[1].process: refers to myns:nojob, which is not " in (
        problems[1])


def test_child_names_and_start_settings(write_yaml: WriteYaml) -> None:
    registry = load_ok(write_yaml(sup_doc("""
- name: inner
  kind: process.supervisor
  host: myns:processes
  children: [{id: a, process: myns:job}]
- name: sup
  kind: process.supervisor
  host: myns:processes
  children:
    - {id: a, process: myns:job, name: the-a, start: {ack: true, timeout: 250ms}}
    - {id: b, process: myns:job}
    - {id: s, process: myns:inner, start: {timeout: infinity}}
    - {id: n, process: myns:inner, name: named-inner}
""")))
    spec = SupervisorSpec.from_registry(registry, "myns:sup")
    a, b, s, n = spec.children
    assert (a.name, a.ack, a.start_timeout, a.start_time(False)) == ("the-a", True, 0.25, 0.25)
    assert (b.name, b.ack, b.start_time(False)) == (None, False, 5.0)
    assert math.isinf(s.start_time(True)) and math.isinf(n.start_time(True))
    assert spec.register_as == "myns:sup"
    assert isinstance(s.process, SupervisorSpec) and s.process.register_as == "myns:inner"
    assert isinstance(n.process, SupervisorSpec) and n.process.register_as == "named-inner"


def test_bad_child_names_and_start_settings_are_rejected(write_yaml: WriteYaml) -> None:
    for body, expected in [
        ("\n  children: [{id: a, process: myns:job, start: {timeout: 0s}}]",
         "timeout must be greater than zero"),
        ("\n  children: [{id: a, process: myns:job, name: '<x.1>'}]",
         "children[0].name: a process name is a non-empty word that does not start with '<'"),
        ("\n  children: [{id: a, process: myns:job, name: x}, {id: b, process: myns:job, "
         "name: x}]", "two children are named 'x'"),
        ("\n  strategy: simple_one_for_one\n  children: [{id: a, process: myns:job, name: x}]",
         "simple_one_for_one supervisor cannot have a name"),
        ("\n  children: [{id: a, process: myns:job, start: {ack: maybe}}]", "start.ack"),
    ]:
        problem = only_problem(write_yaml(sup_doc(
            "- name: sup\n  kind: process.supervisor\n  host: myns:processes" + body)))
        assert "myns:sup" in problem and expected in problem, (expected, problem)
