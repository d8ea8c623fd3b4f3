"""hutch-runtime's command line: runc's commands, flags and conventions.

Global flags come before the command, command flags before its arguments
(as runc's urfave/cli parses them). This module holds the global flags and the
lazy verb table: each verb's module in ``cli/runtime/`` (its flags next to its
handler) is imported only after dispatch, so `state` or `kill` never pay for
what `create` needs (help loads the one it shows). This is
the only place that turns exceptions into messages and exit codes: one line on
stderr, and with ``--log`` the same error as the log's last line (containerd's
shim reports that line as the reason a call failed).
"""

from __future__ import annotations

import os
import sys

from hutch.cli.args import Args, Flag, parse, reorder_args
from hutch.cli.log import Failed, Log, error_text
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object


HELP = Flag("help", "h")

GLOBAL_FLAGS = [  # in runc's order, as help lists them
    Flag("debug"),
    Flag("log", value=True, default=""),
    Flag("log-format", value=True, default="text"),
    Flag("root", value=True, default="/run/hutch"),
    Flag("criu", value=True, default=""),
    Flag("systemd-cgroup"),
    Flag("rootless", value=True, default="auto"),
    HELP,
    Flag("version", "v"),
]

#: The lazy verb table: verb -> (its module in hutch.cli.runtime, usage of its arguments).
#: Each module declares its flags next to its handler (``flags()`` and ``handle()``); only
#: the chosen verb's module is imported, so `state` never builds `exec`'s or `update`'s flags.
VERBS: dict[str, tuple[str, str]] = {
    "create": ("create", "<container-id>"),
    "run": ("run", "<container-id>"),
    "start": ("start", "<container-id>"),
    "state": ("state", "<container-id>"),
    "kill": ("kill", "<container-id> [signal]"),
    "delete": ("delete", "<container-id>"),
    "list": ("list", ""),
    "ps": ("ps", "<container-id> [ps options]"),
    "exec": ("exec", "<container-id> <command> [args...]"),
    "spec": ("spec", ""),
    "features": ("features", ""),
    "pause": ("pause", "<container-id>"),
    "resume": ("pause", "<container-id>"),
    "update": ("update", "<container-id>"),
    "events": ("events", "<container-id>"),
    "checkpoint": ("checkpoint", "<container-id>"),
    "restore": ("checkpoint", "<container-id>"),
}


class Verb(Protocol):
    """What every module of hutch.cli.runtime has."""

    def flags(self) -> list[Flag]: ...

    def handle(self, name: str, g: Args, a: Args, log: Log) -> int: ...


def verb_module(name: str) -> Verb:
    """The module of ``name`` (a key of VERBS), imported now. (Not importlib.import_module:
    importlib imports warnings too, ~0.6 ms on every command.)"""
    mod: Verb = __import__(f"hutch.cli.runtime.{VERBS[name][0]}", fromlist=["handle"])
    return mod


def flags_of(name: str) -> list[Flag]:
    """The flags of verb ``name``."""
    return verb_module(name).flags()

#: Commands whose flags must come before their arguments: what follows the container id is
#: the process's own command line (runc's SkipArgReorder).
NO_REORDER = frozenset({"exec", "ps"})



def prog_name() -> str:
    """The name this program was run by (help and version show it): ``hutch-runtime``,
    or ``runc`` for a copy of the launcher installed under that name."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if not name or name.endswith(".py") or name.startswith("-"):  # python -m, python -c
        return "hutch-runtime"
    return name


def show_help(command: str | None = None) -> int:
    """runc's help for ``command``, or for the program with None; an unknown one fails
    with urfave/cli's words and exit code."""
    from hutch.cli import help as texts

    if command is None:
        from hutch.cli import version

        number, *rest = version.lines(prog_name())
        sys.stdout.write(texts.app_help(prog_name(), list(VERBS), GLOBAL_FLAGS,
                                        "\n".join([number.rpartition(" ")[2], *rest])))
        return 0
    if command not in VERBS:
        raise Failed(f"No help topic for '{command}'", 3)
    sys.stdout.write(texts.command_help(prog_name(), command, flags_of(command)))
    return 0


#: Commands whose processes enter a container: they run from a read-only interpreter
#: (hutch.process.exeseal, CVE-2019-5736).
SEALED = frozenset({"create", "run", "exec"})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    log: Log | None = None
    try:
        g = parse(argv, GLOBAL_FLAGS)
        log = Log(g.text("log"), g.text("log-format"), g.flag("debug"))
        if g.flag("version"):
            from hutch.cli import version

            sys.stdout.write("".join(f"{line}\n" for line in version.lines(prog_name())))
            return 0
        if not g.args or g.flag("help"):
            return show_help()
        name, rest = g.args[0], g.args[1:]
        if name in ("help", "h"):
            return show_help(rest[0] if rest else None)
        if name not in VERBS:
            raise Failed(f"No help topic for '{name}'", 3)
        verb = verb_module(name)
        a = parse(rest if name in NO_REORDER else reorder_args(rest), [*verb.flags(), HELP])
        if a.flag("help"):
            return show_help(name)
        if g.flag("systemd-cgroup"):
            raise HutchError("--systemd-cgroup: the systemd cgroup driver is not supported yet")
        if name in SEALED:
            from hutch.process import exeseal

            try:
                exeseal.ensure()
            except exeseal.SealError as err:
                raise HutchError(f"CVE-2019-5736 protection: {err}") from None
        log.debug(f"hutch-runtime {' '.join([name, *rest])} (root {g.text('root')})")
        code = verb.handle(name, g, a, log)
        sys.stdout.flush()
        return code
    except HutchError as err:
        return _fail(log, str(err), err.code if isinstance(err, Failed) else 1)
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        return _fail(log, error_text(err))


def _fail(log: Log | None, msg: str, code: int = 1) -> int:
    if log is None:
        os.write(2, f"hutch-runtime: {msg}\n".encode())
    else:
        log.error(msg)
    return code


def entry() -> None:
    """The console script: :func:`main`, then :func:`hutch.cli.leave`."""
    from hutch.cli import leave

    leave(main())


if __name__ == "__main__":
    entry()
