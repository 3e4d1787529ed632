"""The example apps through the CLI: what their READMEs show is what they do."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.cli.console import env, run
from tests.conftest import EXAMPLES


def copy(name: str, tmp_path: Path) -> str:
    """A copy of ``examples/<name>`` (so writes land in a temporary folder)."""
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("out"))
    return str(target)


def test_the_examples_check_clean(cache: Path) -> None:
    for name in ("compute", "wasi", "supervision"):
        result = run(cache, "-C", str(EXAMPLES / name), "check")
        assert (result.returncode, result.stderr) == (0, ""), name


def test_wasi_commands(cache: Path, tmp_path: Path) -> None:
    app = copy("wasi", tmp_path)
    listed = run(cache, "-C", app, "run", "list").stdout.split("\n")
    assert [line.split()[0] for line in listed if line] == [
        "cat", "count", "hello", "info", "note", "tamper"]

    hello = run(cache, "-C", app, "run", "hello", "Ann", "Bob", USER="ignored")
    assert hello.stdout == "Hello, Ann!\nHello, Bob!\n"
    greeted = run(cache, "-C", app, "run", "hello", WIPPY_GREETING="Hi", USER="zoe")
    assert greeted.stdout == "Hi, zoe!\n"


def test_wasi_guest_sees_only_what_its_entry_gives(cache: Path, tmp_path: Path) -> None:
    app = copy("wasi", tmp_path)
    info = run(cache, "-C", app, "run", "info", "x", "y z", USER="zoe", SECRET="hidden")
    assert info.returncode == 0
    assert info.stdout == (
        "argv:\n  [0] info\n  [1] info\n  [2] x\n  [3] y z\n"
        "environment:\n  GREETING=Hello\n  USER=zoe\n"
        "mounts:\n  /data: readme.txt words.txt\n  /out:\n"
    )


def test_wasi_mounts(cache: Path, tmp_path: Path) -> None:
    app = copy("wasi", tmp_path)
    cat = run(cache, "-C", app, "run", "cat", "words.txt")
    assert (cat.returncode, cat.stdout) == (0, "wippy\nwasmtime\nwasi\n")
    missing = run(cache, "-C", app, "run", "cat", "nope.txt")
    assert missing.returncode == 3
    assert missing.stderr.startswith("/data/nope.txt: No such file or directory\n")

    run(cache, "-C", app, "run", "note", "first")
    second = run(cache, "-C", app, "run", "note", "second", "line")
    assert second.stdout == "first\nsecond line\n"
    assert (Path(app) / "out" / "notes.txt").read_text() == "first\nsecond line\n"

    tamper = run(cache, "-C", app, "run", "tamper")
    assert (tamper.returncode, tamper.stdout) == (
        0, "refused: /data/tampered.txt: Operation not permitted\n")
    assert not (Path(app) / "data" / "tampered.txt").exists()


def test_the_compute_demo_runs(cache: Path) -> None:
    result = subprocess.run([sys.executable, str(EXAMPLES / "compute" / "demo.py")],
                            capture_output=True, text=True, timeout=120, env=env(cache),
                            check=False)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[1] == "squares computed by 5 processes: [1, 4, 9, 16, 25]"
    assert lines[4:6] == ["as a function: compute(a: s32, b: s32) -> s32 gives 42",
                          "squares from 8 threads: [1, 4, 9, 16, 25, 36, 49, 64]"]
    assert lines[6].startswith("a bad call is refused before anything runs: argument 'a' of "
                               "compute: 2147483648 does not fit s32")
