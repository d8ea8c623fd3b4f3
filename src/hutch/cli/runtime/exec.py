"""exec: run a process in a running container (`--process FILE` or arguments + flags;
`--cgroup [CONTROLLER:]SUB` joins a sub-cgroup of the container's).

As runc's: once the container id is there, a failure is "exec failed: ..." with exit
status 255 (runc's fatalWithCode), so a caller tells it from the process's own status."""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch._sys import sig as signal
from hutch._sys.creds import prctl
from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Failed, Log, error_text
from hutch.container.store import Store
from hutch.errors import HutchError, InvalidArgument, InvalidSpec
from hutch.util import atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.specconv.plan import ProcessPlan


def build_process(store: Store, cid: str, a: Args) -> ProcessPlan:
    from hutch.specconv import caps as capnames
    from hutch.specconv.plan import decode

    if a.text("process"):
        from hutch.spec import lite
        from hutch.specconv.convert import process_plan

        path = a.text("process")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as err:
            raise HutchError(f"--process {path}: {err.strerror}") from None
        try:
            return check_lsm(process_plan(lite.decode_process(data)))
        except InvalidSpec as err:
            raise HutchError(f"invalid --process {path}: {err.detail}") from None
    store.load(cid)  # ContainerNotFound before anything else
    args = a.args[1:]
    if not args:
        raise InvalidArgument("exec: a command is required (or --process FILE)")
    with open(os.path.join(store.dir(cid), "plan.json"), "rb") as f:
        base = decode(f.read())["process"]
    proc: ProcessPlan = dict(base)  # type: ignore[assignment]
    proc["args"] = args
    proc["env"] = [*base["env"], *a.many("env")]
    proc["terminal"] = a.flag("tty")
    proc["console_size"] = None
    if a.text("cwd"):
        proc["cwd"] = a.text("cwd")
    if a.text("user"):
        uid, _, gid = a.text("user").partition(":")
        try:
            proc["uid"] = int(uid)
            proc["gid"] = int(gid) if gid else proc["gid"]
        except ValueError:
            raise InvalidArgument(f"invalid --user {a.text('user')!r}: use UID[:GID] numbers") from None
    if a.many("additional-gids"):
        try:
            proc["additional_gids"] = [int(g) for g in a.many("additional-gids")]
        except ValueError:
            raise InvalidArgument("invalid --additional-gids: numbers only") from None
    if a.flag("no-new-privs"):
        proc["no_new_privs"] = True
    if a.many("cap"):
        mask, unknown = capnames.to_mask(a.many("cap"))
        if unknown:
            raise InvalidArgument(f"unknown capability {unknown[0]!r}")
        old = proc["caps"]
        proc["caps"] = {
            "bounding": (old["bounding"] if old else 0) | mask,
            "effective": (old["effective"] if old else 0) | mask,
            "permitted": (old["permitted"] if old else 0) | mask,
            "inheritable": old["inheritable"] if old else 0,
            "ambient": old["ambient"] if old else 0,
        }
    if a.text("apparmor"):
        proc["apparmor"] = a.text("apparmor")
    if a.text("process-label"):
        proc["selinux_label"] = a.text("process-label")
    return check_lsm(proc)


def check_lsm(proc: ProcessPlan) -> ProcessPlan:
    """An AppArmor profile or SELinux label the host cannot apply is an error."""
    from hutch.errors import Unsupported
    from hutch.init import lsm

    if proc.get("apparmor") and not lsm.host_has("apparmor"):
        raise Unsupported("an AppArmor profile is set but AppArmor is not enabled on this host")
    if proc.get("selinux_label") and not lsm.host_has("selinux"):
        raise Unsupported("an SELinux label is set but SELinux is not enabled on this host")
    return proc


def flags() -> list[Flag]:
    return [
        Flag("process", "p", value=True, default=""),
        Flag("tty", "t"),
        Flag("detach", "d"),
        Flag("pid-file", value=True, default=""),
        Flag("console-socket", value=True, default=""),
        Flag("pidfd-socket", value=True, default=""),
        Flag("cwd", value=True, default=""),
        Flag("env", "e", value=True, multi=True),
        Flag("user", "u", value=True, default=""),
        Flag("additional-gids", "g", value=True, multi=True),
        Flag("cap", "c", value=True, multi=True),
        Flag("no-new-privs"),
        Flag("preserve-fds", value=True, default="0"),
        Flag("process-label", value=True, default=""),
        Flag("apparmor", value=True, default=""),
        Flag("ignore-paused"),
        Flag("cgroup", value=True, multi=True),
    ]



def handle(name: str, g: Args, a: Args, log: Log) -> int:
    """The process's exit status; 255 when the exec itself fails (runc's code and words:
    callers tell a failed exec from a process that failed by it)."""
    cid = need_id(a, name, extra_ok=True)
    try:
        return execute(Store(g.text("root")), cid, a, log)
    except (HutchError, OSError) as err:
        raise Failed(f"exec failed: {error_text(err)}", 255) from err


def execute(store: Store, cid: str, a: Args, log: Log) -> int:
    from hutch.cgroups import subcgroup
    from hutch.container.create import check_preserved_fds
    from hutch.container.exec import exec_process

    proc = build_process(store, cid, a)
    sub_cgroups = subcgroup.parse(a.many("cgroup"))
    detach = a.flag("detach")
    preserve = a.number("preserve-fds")
    check_preserved_fds(preserve)
    console_fd = -1
    ours = -1
    if proc["terminal"]:
        if a.text("console-socket"):
            from hutch.process.console import connect_console_socket

            console_fd = connect_console_socket(a.text("console-socket"))
        elif detach:
            raise HutchError(
                "cannot allocate tty if hutch-runtime will detach without setting console socket"
            )
        else:
            from hutch.process.sync import socketpair

            ours, console_fd = socketpair()
    elif a.text("console-socket"):
        raise HutchError("cannot use console socket if hutch-runtime will not detach or allocate tty")
    if not detach:
        prctl(C.PR_SET_CHILD_SUBREAPER, 1)
    try:
        pid = exec_process(store, cid, proc, console_fd, preserve, a.flag("ignore-paused"), sub_cgroups,
                           log.debugger())
    finally:
        if console_fd >= 0:
            os.close(console_fd)
    if a.text("pid-file"):
        try:
            atomic.write(os.path.abspath(a.text("pid-file")), str(pid).encode(), 0o644)
        except OSError:
            terminate(pid, reap=not detach)  # as runc: nobody could find the process
            raise
    if detach:
        return 0
    from hutch.cli.runtime.run import FORWARDED, _forward, _wait

    for sig in FORWARDED:
        signal.signal(sig, lambda s, _f: _forward(pid, s))
    if ours >= 0:
        from hutch.process.console import forward, recv_fd

        master = recv_fd(ours)
        os.close(ours)
        forward(master)
    status = _wait(pid)
    log.debug(f"process exited: pid {pid}, status {status}")
    return status


def terminate(pid: int, reap: bool) -> None:
    """Kill a process just started; wait for it when it is our child (we are its subreaper)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if reap:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
