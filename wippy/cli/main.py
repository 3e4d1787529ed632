"""Argument parsing and dispatch for the `wippy` subcommands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import ConfigError, Entry, ProcessWasm, Registry, file_digest, load_registry
from ..wasm import WasmError, WasmRuntime

log = logging.getLogger("wippy.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wippy", description="Run WebAssembly modules as supervised actor processes."
    )
    parser.add_argument("-C", "--config", default=".", metavar="PATH",
                        help="app directory or YAML file (default: the current directory)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what wippy does")
    parser.add_argument("--version", action="version", version=f"wippy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a command entry (`wippy run list` lists them)")
    run.add_argument("-x", "--entry", metavar="NS:NAME", help="run an entry by id instead")
    run.add_argument("name", nargs="?", help="command name, or `list`")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the entry's method")

    hash_cmd = commands.add_parser("hash", help="print sha256:<hex> for files (for `hash:`)")
    hash_cmd.add_argument("files", nargs="+", type=Path)

    commands.add_parser("check", help="load the app, verify hashes and compile every module")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``wippy`` command; returns its exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "hash":
            return _hash(args.files)
        registry = load_registry(args.config)
        if args.command == "check":
            return _check(registry)
        return _run(registry, args)
    except ConfigError as exc:
        print(f"wippy: {exc}", file=sys.stderr)
        return 1


def _hash(files: list[Path]) -> int:
    status = 0
    for path in files:
        try:
            print(f"{file_digest(path)}  {path}")
        except OSError as exc:
            print(f"wippy: {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
    return status


def _commands(registry: Registry) -> dict[str, Entry]:
    return {e.command_name: e for e in registry if e.command_name is not None}


def _run(registry: Registry, args: argparse.Namespace) -> int:
    if args.entry is None and args.name in (None, "list"):
        return _list(registry)
    if args.entry is not None:
        entry_id = args.entry
        call_args = ([args.name] if args.name is not None else []) + list(args.args)
    else:
        commands = _commands(registry)
        if args.name not in commands:
            known = ", ".join(sorted(commands)) or "none"
            print(f"wippy: no command {args.name!r} (commands: {known})", file=sys.stderr)
            return 2
        entry_id = commands[args.name].id
        call_args = list(args.args)
    return _run_entry(registry, entry_id, call_args)


def _list(registry: Registry) -> int:
    rows = []
    for name, entry in sorted(_commands(registry).items()):
        command = entry.meta.get("command", {})
        short = command.get("short", "") if isinstance(command, dict) else ""
        rows.append((name, short, entry.id))
    if not rows:
        print("no commands (entries with meta.command.name)")
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    for name, short, entry_id in rows:
        print(f"{name:<{widths[0]}}  {short:<{widths[1]}}  {entry_id}")
    return 0


def _exit_status(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 0 if value else 1
    if isinstance(value, int):
        return value & 0xFF
    print(value if isinstance(value, str) else repr(value))
    return 0


def _run_entry(registry: Registry, entry_id: str, call_args: list[str]) -> int:
    if not isinstance(registry.get(entry_id), ProcessWasm):
        print(f"wippy: {entry_id} is not a process.wasm entry", file=sys.stderr)
        return 2
    out, err = sys.stdout.buffer, sys.stderr.buffer

    def write(stream: Any) -> Any:
        def sink(data: bytes) -> None:
            stream.write(data)
            stream.flush()

        return sink

    with WasmRuntime() as runtime:
        try:
            program = runtime.program(registry, entry_id)
            converted = program.convert_args(call_args)
            instance = program.instantiate(stdout=write(out), stderr=write(err))
            try:
                value = instance.call(converted)
            finally:
                instance.close()
        except WasmError as exc:
            print(f"wippy: {exc}", file=sys.stderr)
            return 1
    return _exit_status(value)


def _check(registry: Registry) -> int:
    problems = 0
    with WasmRuntime() as runtime:
        for entry in registry.of_kind(ProcessWasm):
            try:
                runtime.program(registry, entry.id)
            except (WasmError, ConfigError) as exc:
                problems += 1
                print(f"{entry.source}: {exc}", file=sys.stderr)
    if problems:
        print(f"{problems} problem{'s' if problems != 1 else ''} found", file=sys.stderr)
        return 1
    print(f"ok: {len(registry)} entries")
    return 0
