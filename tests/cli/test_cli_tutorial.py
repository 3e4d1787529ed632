"""The README's "Five minutes with wippy", executed as written: every command, its output,
the YAML, the Python and the `wippy start` session (timestamps and pid numbers aside)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.cli.console import WIPPY, env, finish, popen, read_until
from tests.conftest import EXAMPLES, ROOT


def tutorial() -> list[tuple[str, str]]:
    """The fenced blocks of the section, as (language, text), in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Five minutes with wippy\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)


def shell_session(text: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines with the output lines that follow each."""
    session: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            session.append((line[2:], []))
        else:
            session[-1][1].append(line)
    return session


def normalized(lines: list[str]) -> list[str]:
    """Lines with timestamps replaced and pids numbered in order of appearance (the same pid
    keeps its number, so the README shows which lines are about the same process)."""
    pids: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return pids.setdefault(match.group(0), f"<pid {len(pids) + 1}>")

    out = []
    for line in lines:
        line = re.sub(r"\d\d:\d\d:\d\d\.\d{3}", "TIME", line.removeprefix("^C"))
        out.append(re.sub(r"<myns:processes\.\d+>", number, line))
    return out


def test_five_minutes_with_wippy(cache: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = tutorial()
    assert [lang for lang, _ in blocks] == ["sh", "yaml", "sh", "python", "yaml", "text"]
    (tmp_path / "examples").symlink_to(EXAMPLES)
    shell_env = env(cache, PATH=f"{WIPPY.parent}{os.pathsep}{os.environ['PATH']}")

    def run_session(text: str) -> None:
        for command, expected in shell_session(text):
            result = subprocess.run(["bash", "-c", f"{{ {command}; }} 2>&1"], cwd=tmp_path,
                                    env=shell_env, capture_output=True, text=True, timeout=120)
            assert result.stdout.splitlines() == expected, command

    run_session(blocks[0][1])                                   # 1. a module and its hash
    app = tmp_path / "myapp" / "app.yaml"
    app.write_text(blocks[1][1])                                # 2. the entry
    run_session(blocks[2][1])                                   # 3. check, list, run

    monkeypatch.chdir(tmp_path)                                 # 4. Python, as written
    monkeypatch.setenv("WIPPY_CACHE_DIR", str(cache))
    exec(compile(blocks[3][1], "README.md", "exec"), {})

    app.write_text(app.read_text() + blocks[4][1])              # 5. the supervisor
    command, expected = shell_session(blocks[5][1])[0]
    assert command == "wippy -C myapp start"
    proc = popen(cache, "-C", str(tmp_path / "myapp"), "start")
    seen = read_until(proc.stdout, "child_exit square")
    proc.send_signal(signal.SIGINT)
    status, rest, err = finish(proc)
    assert (status, err) == (0, "")
    assert normalized(seen + rest.splitlines()) == normalized(expected)
    assert seen[3].split() == expected[3].split()  # the pids shown are the pids printed
