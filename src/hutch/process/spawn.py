"""The runtime's side of starting a container's init (see hutch.init.run for the child's).

The runtime forks stage1, places it in the container's cgroup, writes its
uid/gid maps on request, opens bind sources in its mount namespace on request
(hutch.process.mountsrc), runs the prestart/createRuntime hooks when the init
asks, and returns the init's pid once the init reports READY. On any failure
every process it forked is killed and reaped before the error propagates.
"""

from __future__ import annotations

import os

from hutch import faults
from hutch._sys import sig as signal
from hutch.errors import InitFailed
from hutch.process import sync

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from hutch.cgroups import Manager
    from hutch.specconv.plan import Plan


def assert_single_threaded() -> None:
    """unshare(CLONE_NEWUSER) fails with EINVAL in a multi-threaded process."""
    if len(os.listdir("/proc/self/task")) != 1:
        raise RuntimeError("hutch-runtime must be single-threaded before it forks the init")


def write_id_maps(pid: int, plan: Plan) -> None:
    for name, text in (("uid_map", plan["uid_map"]), ("gid_map", plan["gid_map"])):
        try:
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(text)
        except OSError as err:
            raise InitFailed("usermap", f"write /proc/{pid}/{name}: {err.strerror}", err.errno or 0) from None


def spawn(
    plan: Plan,
    cgroup: Manager,
    fifo_fd: int,
    console_fd: int,
    preserve_fds: int,
    on_hooks: Callable[[int], tuple[str, str]],
    on_seccomp: Callable[[int, int], None] | None = None,
    debug: Callable[[str], None] | None = None,
) -> int:
    """Fork the container's init; return its pid (host view) once it is READY.

    ``on_hooks(pid)`` runs the runtime-namespace hooks and returns the state JSON the init
    passes to its own hooks: status "creating" for createContainer, "created" for
    startContainer. ``on_seccomp(pid, fd)`` hands a seccomp listener fd to the agent.
    ``debug``, with --debug, takes a line for each step, the children's (LOG) too.
    """
    from hutch.init import run
    from hutch.init.creds import set_oom_score_adj
    from hutch.specconv.caps import last_cap

    run.preload(plan)
    assert_single_threaded()
    cap = last_cap()
    me = f"runtime[{os.getpid()}]" if debug else ""
    if debug:
        debug(f"{me}: => nsexec container setup")
    parent_fd, child_fd = sync.socketpair()
    stage1 = os.fork()
    if stage1 == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(parent_fd)
            code = run.stage1(plan, run.Fds(child_fd, fifo_fd, console_fd, preserve_fds, debug is not None),
                              cap)
        finally:
            os._exit(code)
    os.close(child_fd)
    init_pid = 0
    listener: Listener | None = None
    try:
        faults.point("create.forked")
        cgroup.apply(stage1)
        faults.point("create.applied")
        set_oom_score_adj(stage1, plan["process"])
        if debug:
            debug(f"{me}: spawned stage1 ({stage1}) in the container's cgroup, signalling it to run")
        sync.send(parent_fd, sync.GO)
        hooks_pending = False
        while True:
            try:
                msg = sync.recv(parent_fd)
            except sync.ChannelClosed:
                raise InitFailed("init", "the container's init exited before it was ready") from None
            kind = msg["type"]
            if kind == sync.LOG:
                if debug:
                    debug(str(msg.get("msg")))
                continue
            if debug:
                debug(f"{me}: received {kind!r}")
            if kind == sync.SECCOMP:
                listener = Listener(msg)
            else:
                close_fds(msg)
            if kind == sync.USERMAP:
                write_id_maps(stage1, plan)
                sync.send(parent_fd, sync.MAPPED)
            elif kind == sync.MOUNT_SOURCES:
                from hutch.process import mountsrc

                mountsrc.send(parent_fd, stage1, plan)
            elif kind == sync.PID:
                init_pid = int(msg["pid"])  # type: ignore[call-overload]
                _reap(stage1)
                stage1 = 0
            elif kind == sync.HOOKS:
                hooks_pending = True
            elif kind == sync.READY:
                return init_pid
            elif kind == sync.ERROR:
                raise reported_error(msg)
            elif kind != sync.SECCOMP:
                raise InitFailed("sync", f"unexpected message {kind!r}")
            if listener is not None and init_pid:
                pending, listener = listener, None
                pending.hand_over(parent_fd, init_pid, on_seccomp)
            if hooks_pending and init_pid:
                hooks_pending = False
                creating, created = on_hooks(init_pid)
                sync.send(parent_fd, sync.HOOKS_DONE, creating=creating, created=created)
    except BaseException:
        if listener is not None:
            os.close(listener.fd)
        abort(init_pid, stage1)
        raise
    finally:
        os.close(parent_fd)


class Listener:
    """A seccomp listener fd a container process sent (SECCOMP), until it is handed over."""

    __slots__ = ("fd",)

    def __init__(self, msg: dict[str, object]) -> None:
        fds = msg.get("fds")
        if not isinstance(fds, list) or len(fds) != 1:
            close_fds(msg)
            raise InitFailed("seccomp", "the seccomp message came without its listener fd")
        self.fd: int = fds[0]

    def hand_over(self, sock: int, pid: int, on_seccomp: Callable[[int, int], None] | None) -> None:
        """Pass the fd to ``on_seccomp(pid, fd)``, close it here, and let the process go on."""
        try:
            if on_seccomp is None:
                raise InitFailed("seccomp", "a seccomp listener fd arrived, but nobody takes it")
            on_seccomp(pid, self.fd)
        finally:
            os.close(self.fd)
        sync.send(sock, sync.SECCOMP_DONE)


def close_fds(msg: dict[str, object]) -> None:
    """Close fds that came with a message that has no use for them."""
    fds = msg.get("fds")
    for fd in fds if isinstance(fds, list) else []:
        os.close(fd)


def reported_error(msg: dict[str, object]) -> InitFailed:
    """The InitFailed for an ERROR message from the container's side."""
    errno = msg.get("errno")
    return InitFailed(str(msg.get("stage")), str(msg.get("msg")), errno if isinstance(errno, int) else 0)


def abort(*pids: int) -> None:
    """Kill what a failed start left running, and reap what is ours to reap."""
    for pid in pids:
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for pid in pids:
        if pid:
            _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # not our child (the init is stage1's): reaped by its new parent
