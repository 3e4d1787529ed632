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
from typing import TYPE_CHECKING, Any, NoReturn

from .. import __version__
from ..cluster import ClusterError
from ..config import (
    ConfigError,
    FunctionEntry,
    FunctionLua,
    file_digest,
    load_registry,
    read_app,
)
from .app import UsageError, find_command, runnable_entry
from .check import print_problems

if TYPE_CHECKING:
    from .start import StartOptions

LOG_FORMATS = ("text", "json")
"""The values of ``start --log-format`` (see :mod:`wippy.cli.events`)."""

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

    start = sub.add_parser(
        "start", parents=[common], help="start the app and show what happens until stopped",
        description="Start every auto_start host, supervisor and service of the app, print "
        "what runs and every EXIT and supervision event, and stop everything in order on "
        "Ctrl-C, SIGTERM or `wippy stop` (exit 0). Local commands (ps, top, stop, "
        "restart-child) reach it through its control socket.",
    )
    start.add_argument("--control", metavar="PATH",
                       help="the control socket (default: .wippy/control.sock in the app folder)")
    start.add_argument("--no-control", action="store_true",
                       help="do not open a control socket")
    start.add_argument("--metrics", metavar="HOST:PORT",
                       help="serve Prometheus metrics at http://HOST:PORT/metrics "
                       "(e.g. 127.0.0.1:9464; port 0 picks a free port)")
    start.add_argument("--log-format", choices=LOG_FORMATS, default="text",
                       help="text (default) or json: one JSON object per event and log line")
    _control_commands(sub, common)
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


def _control_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """The commands that talk to a running `wippy start` through its control socket."""
    socket = argparse.ArgumentParser(add_help=False)
    socket.add_argument("--socket", metavar="PATH",
                        help="the app's control socket (default: .wippy/control.sock in the "
                        "app folder, -C)")
    ps = sub.add_parser(
        "ps", parents=[common, socket], help="list the running app's hosts and processes",
        description="Print the hosts of the running app and its processes as a tree: pid, "
        "name (a supervisor's child id or registered names), entry, kind, host, state "
        "(running, runnable, starting, or suspended and on what), age, restarts, mailbox.",
    )
    ps.add_argument("--json", action="store_true", help="print the whole snapshot as JSON")
    top = sub.add_parser(
        "top", parents=[common, socket], help="a live view of the running app",
        description="Show the process tree of the running app, refreshed in place, with "
        "spawn, exit, restart and message rates and each host's run queue and workers. "
        "Keys: s sort, / filter, t terminate the selected process, q quit.",
    )
    top.add_argument("--interval", type=float, default=1.0, metavar="SECONDS",
                     help="seconds between refreshes (default 1)")
    stop = sub.add_parser(
        "stop", parents=[common, socket], help="stop the running app in order",
        description="Stop the running app as SIGTERM does (services and supervisors in "
        "reverse start order, then hosts) and wait until it has stopped.",
    )
    stop.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                      help="how long to wait for it to stop (default 120)")
    restart = sub.add_parser(
        "restart-child", parents=[common, socket],
        help="restart a supervisor's child in the running app",
        description="Restart child CHILD of supervisor SUP (its entry id or pid): a running "
        "child is stopped by its shutdown setting, then started again.",
    )
    restart.add_argument("supervisor", metavar="SUP")
    restart.add_argument("child", metavar="CHILD")


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
    if getattr(args, "log_format", "text") == "json":
        from .events import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
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
    if args.command in ("ps", "top", "stop", "restart-child"):
        return _control(args, config)
    if args.command in ("check", "start"):
        loaded = read_app(config)  # every problem is theirs to report, with the later ones
        _import_path(loaded.registry.root)
        if args.command == "check":
            from .check import check

            return check(loaded)
        from .start import start

        return start(loaded, _start_options(args, config))
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
    if isinstance(registry.get(entry_id), (FunctionEntry, FunctionLua)):
        from .call import call_function

        if args.host is not None:
            raise UsageError(f"{entry_id} is a function: it is called, not run on a host "
                             "(drop --host)")
        return call_function(registry, entry_id, call_args, verbose > 0)
    return run_entry(registry, entry_id, call_args, args.host, verbose > 0)


def _start_options(args: argparse.Namespace, config: str) -> StartOptions:
    """``start``'s serving options; UsageError for a bad --metrics address."""
    from ..observe import parse_address, socket_path
    from .start import StartOptions

    if args.no_control and args.control:
        raise UsageError("--control and --no-control contradict each other")
    control = None if args.no_control else Path(args.control or socket_path(config))
    metrics = None
    if args.metrics is not None:
        try:
            metrics = parse_address(args.metrics)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return StartOptions(control, metrics, args.log_format)


def _control(args: argparse.Namespace, config: str) -> int:
    from .control import ps, resolve_socket, restart_child, stop

    path = resolve_socket(config, args.socket)
    if args.command == "ps":
        return ps(path, args.json)
    if args.command == "stop":
        if args.timeout <= 0:
            raise UsageError(f"--timeout must be > 0, got {args.timeout:g}")
        return stop(path, args.timeout)
    if args.command == "restart-child":
        return restart_child(path, args.supervisor, args.child)
    if args.interval <= 0:
        raise UsageError(f"--interval must be > 0, got {args.interval:g}")
    from .top import top

    status: int = top(path, args.interval)
    return status


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
