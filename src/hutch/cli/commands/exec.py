"""exec: run a process in a running container (`--process FILE` or arguments + flags)."""

from __future__ import annotations

import os
import signal

from hutch._sys import consts as C
from hutch._sys.creds import prctl
from hutch.cli.main import Args, Log, need_id
from hutch.container.store import Store, write_atomic
from hutch.errors import HutchError, InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.specconv.plan import ProcessPlan


def build_process(store: Store, cid: str, a: Args) -> ProcessPlan:
    from hutch.specconv import caps as capnames
    from hutch.specconv.plan import decode

    if a.str("process"):
        from hutch.spec import codec
        from hutch.specconv.convert import process_plan

        path = a.str("process")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as err:
            raise HutchError(f"--process {path}: {err.strerror}") from None
        return process_plan(codec.decode_process(data))
    args = a.args[1:]
    if not args:
        raise InvalidArgument("exec: a command is required (or --process FILE)")
    with open(os.path.join(store.dir(cid), "plan.json"), "rb") as f:
        base = decode(f.read())["process"]
    proc: ProcessPlan = dict(base)  # type: ignore[assignment]
    proc["args"] = args
    proc["env"] = [*base["env"], *a.list("env")]
    proc["terminal"] = a.bool("tty")
    proc["console_size"] = None
    if a.str("cwd"):
        proc["cwd"] = a.str("cwd")
    if a.str("user"):
        uid, _, gid = a.str("user").partition(":")
        try:
            proc["uid"] = int(uid)
            proc["gid"] = int(gid) if gid else proc["gid"]
        except ValueError:
            raise InvalidArgument(f"invalid --user {a.str('user')!r}: use UID[:GID] numbers") from None
    if a.list("additional-gids"):
        try:
            proc["additional_gids"] = [int(g) for g in a.list("additional-gids")]
        except ValueError:
            raise InvalidArgument("invalid --additional-gids: numbers only") from None
    if a.bool("no-new-privs"):
        proc["no_new_privs"] = True
    if a.list("cap"):
        mask, unknown = capnames.to_mask(a.list("cap"))
        if unknown:
            raise InvalidArgument(f"unknown capability {unknown[0]!r}")
        caps = dict(proc["caps"] or {"bounding": 0, "effective": 0, "permitted": 0,
                                     "inheritable": 0, "ambient": 0})
        for key in ("bounding", "effective", "permitted"):
            caps[key] |= mask
        proc["caps"] = caps  # type: ignore[typeddict-item]
    return proc


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container.exec import exec_process

    store = Store(g.str("root"))
    cid = need_id(a, name, extra_ok=True)
    proc = build_process(store, cid, a)
    detach = a.bool("detach")
    preserve = a.int("preserve-fds")
    console_fd = -1
    ours = -1
    if proc["terminal"]:
        if a.str("console-socket"):
            from hutch.process.console import connect_console_socket

            console_fd = connect_console_socket(a.str("console-socket"))
        elif detach:
            raise HutchError(
                "cannot allocate tty if hutch-runtime will detach without setting console socket"
            )
        else:
            from hutch.process.sync import socketpair

            ours, console_fd = socketpair()
    elif a.str("console-socket"):
        raise HutchError("cannot use console socket if hutch-runtime will not detach or allocate tty")
    if not detach:
        prctl(C.PR_SET_CHILD_SUBREAPER, 1)
    try:
        pid = exec_process(store, cid, proc, console_fd, preserve, a.bool("ignore-paused"))
    finally:
        if console_fd >= 0:
            os.close(console_fd)
    if a.str("pid-file"):
        write_atomic(os.path.abspath(a.str("pid-file")), str(pid).encode(), 0o644)
    if detach:
        return 0
    from hutch.cli.commands.run import FORWARDED, _forward, _wait

    for sig in FORWARDED:
        signal.signal(sig, lambda s, _f: _forward(pid, s))
    if ours >= 0:
        from hutch.process.console import forward, recv_fd

        master = recv_fd(ours)
        os.close(ours)
        forward(master)
    return _wait(pid)
