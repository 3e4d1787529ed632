"""The README's section on wippy:process: its tutorial is the real example code, and its Python
runs as written; its tables list every function and code the host provides."""

from __future__ import annotations

import os
import re
import sys

from tests.conftest import EXAMPLES, ROOT
from wippy.actors.process_api import COMPONENT_INTERFACE, CORE_INTERFACE, WIT_PATH, codes


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## WASM processes that are actors (`wippy:process`)\n", 1)[1].split(
        "\n## ", 1)[0]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), re.DOTALL)


def test_the_tutorial_code_is_the_example() -> None:
    (c_code,) = _blocks("c")
    assert c_code == (EXAMPLES / "actors" / "wasm" / "kv.c").read_text()
    (yaml_text,) = _blocks("yaml")
    assert yaml_text in (EXAMPLES / "actors" / "app.yaml").read_text()


def test_the_tutorial_python_runs(no_thread_leak: None) -> None:
    (python,) = _blocks("python")
    cwd = os.getcwd()
    sys.path.insert(0, str(EXAMPLES / "actors"))
    try:
        os.chdir(ROOT)
        exec(compile(python, "README.md", "exec"), {})  # the README's own code
    finally:
        os.chdir(cwd)
        sys.path.remove(str(EXAMPLES / "actors"))


def test_the_tables_name_every_function_and_code() -> None:
    section = _section()
    core = section.split("### Core modules", 1)[1].split("### Data", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)*", core, re.MULTILINE))
    names = {n for row in re.findall(r"^\| ((?:`[a-z_]+`(?:, )?)+) \|", core, re.MULTILINE)
             for n in re.findall(r"`([a-z_]+)`", row)}
    assert listed and names == set(CORE_INTERFACE.functions)
    for code, name in codes.NAMES.items():
        assert f"| {code} | {name} |" in core
    wit = _blocks("wit")[0]
    for function in COMPONENT_INTERFACE.functions:
        assert f"{function}:" in wit or function in ("unmonitor", "link", "unlink",
                                                     "terminate", "unregister")
    for function in COMPONENT_INTERFACE.functions:
        assert f"{function}: func" in WIT_PATH.read_text()
