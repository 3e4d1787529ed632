"""Argument parsing and dispatch for the `wippy` subcommands."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .. import __version__
from ..cluster import ClusterError
from ..config import ConfigError, FunctionEntry, file_digest, load_registry, read_app
from .app import UsageError, find_command, runnable_entry
from .check import print_problems

log = logging.getLogger("wippy.cli")

USAGE_ERROR = 2
"""Exit status for a bad command line (argparse's convention)."""


def _common() -> argparse.ArgumentParser:
    """-C and -v, accepted before or after the command name (the later one wins)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-C", "--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="app directory or YAML file (default: the current directory)")
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="log what wippy does on stderr (-vv for debug detail)")
    return common


def parser() -> argparse.ArgumentParser:
    """The ``wippy`` argument parser (exposed for documentation and tests)."""
    common = _common()
    top = argparse.ArgumentParser(
        prog="wippy", parents=[common],
        description="Run WebAssembly modules as supervised actor processes.",
        epilog="`wippy COMMAND --help` describes a command.",
    )
    top.add_argument("--version", action="version", version=f"wippy {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", parents=[common], help="run a command entry as a process (`wippy run list`)",
        description="Run the process entry whose meta.command.name is NAME as a process on the "
        "app's terminal.host, with ARGS as its arguments, and exit with its result. "
        "`wippy run list` lists the commands. Ctrl-C cancels the process (a second Ctrl-C "
        "stops it at once; exit status 130).",
        usage="wippy run [-C PATH] [-v] [--host NS:NAME] (list | NAME [ARGS...] | "
        "-x NS:NAME [ARGS...])",
    )
    run.add_argument("-x", "--entry", metavar="NS:NAME", help="run the entry with this id")
    run.add_argument("--host", metavar="NS:NAME",
                     help="host to run on (default: the app's terminal.host)")
    run.add_argument("name", nargs="?", metavar="NAME", help="a command name, or `list`")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="arguments, passed as strings (converted to numeric parameter types)")

    sub.add_parser(
        "start", parents=[common], help="start the app and show what happens until stopped",
        description="Start every auto_start host, supervisor and service of the app, print "
        "what runs and every EXIT and supervision event, and stop everything in order on "
        "Ctrl-C or SIGTERM (exit 0).",
    )
    sub.add_parser(
        "check", parents=[common], help="verify hashes, compile every module, check the app",
        description="Load the app (checking every field and reference), verify every module's "
        "hash, compile every module (filling the compile cache) and import every Python "
        "function; print every problem with its file and entry. Exit 1 if there is any.",
    )
    hash_cmd = sub.add_parser(
        "hash", parents=[common], help="print sha256:<hex> of files (for `hash:` fields)",
        description="Print `sha256:<hex>  FILE` for each FILE.",
    )
    hash_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return top


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``wippy`` console script: runs the command (see :func:`execute`) and ends the process
    with its exit status.

    It ends the process directly (after flushing stdout and stderr) rather than through
    interpreter shutdown: by then every runtime the command used has been stopped, and a normal
    shutdown would still wait for a guest thread blocked in a host call (after Ctrl-C).
    """
    status = execute(argv)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            stream.flush()
    os._exit(status)


def execute(argv: Sequence[str] | None = None) -> int:
    """Runs the ``wippy`` command line ``argv`` (default ``sys.argv[1:]``) in this process and
    returns its exit status (2 for a bad command line)."""
    try:
        return _main(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1


def _main(argv: Sequence[str] | None) -> int:
    top = parser()
    args = top.parse_args(argv)  # exits 2 with a usage message on bad options
    verbose: int = getattr(args, "verbose", 0)
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)  # also filters loggers whose own level a command lowers
    handler.setFormatter(logging.Formatter("wippy: %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    config: str = getattr(args, "config", ".")
    try:
        return _dispatch(args, config, verbose)
    except UsageError as exc:
        print(f"wippy {args.command}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except ConfigError as exc:
        print_problems(exc.problems)
        return 1
    except ClusterError as exc:  # Ray missing, a cluster that cannot be started or joined
        print(f"wippy: the cluster did not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wippy: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # whoever read our stdout has gone (`wippy ... | head`)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that flushing at exit cannot fail again
        os.close(devnull)
        return 128 + signal.SIGPIPE


def _dispatch(args: argparse.Namespace, config: str, verbose: int) -> int:
    if args.command == "hash":
        return _hash(args.files)
    if args.command in ("check", "start"):
        loaded = read_app(config)  # every problem is theirs to report, with the later ones
        _import_path(loaded.registry.root)
        if args.command == "check":
            from .check import check

            return check(loaded)
        from .start import start

        return start(loaded)
    registry = load_registry(config)
    _import_path(registry.root)
    from .run import list_commands, run_entry

    if args.entry is not None:
        call_args = ([args.name] if args.name is not None else []) + list(args.args)
        entry_id = runnable_entry(registry, args.entry).id
    elif args.name is None:
        raise UsageError("name a command to run (`wippy run list` lists them)")
    elif args.name == "list":
        if args.args:
            raise UsageError(f"`run list` takes no arguments, got {' '.join(args.args)}")
        return list_commands(registry)
    else:
        entry_id = runnable_entry(registry, find_command(registry, args.name).id).id
        call_args = list(args.args)
    if isinstance(registry.get(entry_id), FunctionEntry):
        from .call import call_function

        if args.host is not None:
            raise UsageError(f"{entry_id} is a function: it is called, not run on a host "
                             "(drop --host)")
        return call_function(registry, entry_id, call_args, verbose > 0)
    return run_entry(registry, entry_id, call_args, args.host, verbose > 0)


def _import_path(root: Path) -> None:
    """Lets ``process.python`` entries import modules kept next to the app's YAML."""
    folder = str(root if root.is_dir() else root.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
        log.debug("added %s to the Python import path", folder)


def _hash(files: list[Path]) -> int:
    status = 0
    for path in files:
        try:
            print(f"{file_digest(path)}  {path}")
        except OSError as exc:
            print(f"wippy: {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
    return status
