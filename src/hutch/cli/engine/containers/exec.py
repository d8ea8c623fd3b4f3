"""`hutch exec`: run a command in a running container."""

from __future__ import annotations

import os
import sys

from hutch.cli.pflag import REMAINDER, Namespace, Parser
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-i", "--interactive", action="store_true", help="Keep STDIN open even if not attached")
    p.add_argument("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    p.add_argument("-d", "--detach", action="store_true", help="Detached mode: run command in the background")
    p.add_argument("-e", "--env", action="append", default=[], help="Set environment variables")
    p.add_argument("--env-file", action="append", default=[], help="read in a file of environment variables")
    p.add_argument("--privileged", action="store_true", help="give extended privileges to the command")
    p.add_argument("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])")
    p.add_argument("-w", "--workdir", default="", help="Working directory inside the container")
    p.add_argument("container")
    p.add_argument("args", nargs=REMAINDER)


def handle(eng: Engine, a: Namespace) -> int:
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    try:
        record = eng.find(a.container)
        if a.tty and not a.detach and not sys.stdin.isatty():
            raise HutchError("the input device is not a TTY (use -i without -t)")
        env = a.env
        if a.env_file:  # docker's: the files' lines, then -e over them
            from hutch.engine.request import env_file

            env = [*(e for f in a.env_file for e in env_file(f)), *a.env]
        from hutch.engine import events  # docker's exec_create, exec_start and exec_die

        exec_id = os.urandom(32).hex()
        attrs = {"execID": exec_id, "exec command": " ".join(args)}  # (docker's words, with the space)
        if record["state"]["status"] == "running" and args and not (a.tty and a.detach):  # (else refused)
            events.container(eng.root, "exec_create: " + " ".join(args), record, **attrs)
            events.container(eng.root, "exec_start: " + " ".join(args), record, **attrs)
        code = eng.exec(record, args, tty=a.tty, stdin=a.interactive, detach=a.detach, env=env,
                        user=a.user, workdir=a.workdir, privileged=a.privileged)[0]
        if not a.detach:  # (a detached exec's end is not known here)
            events.container(eng.root, "exec_die", record, execID=exec_id, exitCode=code)
        return code
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 126 if "not running" in str(err) else 125
