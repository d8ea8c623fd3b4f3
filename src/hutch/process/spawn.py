"""The runtime's side of starting a container process: the init (hutch.init.run is the
child's side) or a process exec'd into a running container (hutch.init.setns).

Both go the same way, in :func:`start`: fork stage1, place it in the container's cgroup,
send GO, then answer its messages until the process is ready (the init reports READY)
or has exec'd (an exec's channel closes on exec, CLOEXEC). Along the way the runtime
writes an init's uid/gid maps (USERMAP), opens its bind sources in its mount namespace
(MOUNT_SOURCES, hutch.process.mountsrc), runs the prestart/createRuntime hooks (HOOKS),
hands a seccomp listener to the agent (SECCOMP), and passes the children's debug lines
on (LOG). On any failure every process it forked is killed and reaped before the error
propagates.
"""

from __future__ import annotations

import gc
import os

from hutch import faults
from hutch._sys import sig as signal
from hutch.errors import InitFailed
from hutch.process import sync

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from hutch.cgroups import Manager
    from hutch.specconv.plan import Plan, ProcessPlan

    Debug = Callable[[str], None]
    #: answers one message; called with the conversation and the message
    Handler = Callable[["Conversation", dict[str, object]], None]


def _install_stdio(stdio: Sequence[int]) -> None:  # pragma: no cover - runs in stage1
    """Make ``stdio`` this process's 0, 1 and 2 (inheritable: they are the process's own).
    A source that is itself 0-2 in another place is moved above 2 first, so no dup2
    overwrites a source still to be copied."""
    import fcntl

    moved = [fd if fd == target or fd > 2 else fcntl.fcntl(fd, fcntl.F_DUPFD, 3)
             for target, fd in enumerate(stdio)]
    for target, fd in enumerate(moved):
        if fd != target:
            os.dup2(fd, target)


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
    debug: Debug | None = None,
    stdio: Sequence[int] | None = None,
) -> int:
    """Fork the container's init; return its pid (host view) once it is READY.

    ``on_hooks(pid)`` runs the runtime-namespace hooks and returns the state JSON the init
    passes to its own hooks: status "creating" for createContainer, "created" for
    startContainer. ``on_seccomp(pid, fd)`` hands a seccomp listener fd to the agent.
    ``debug``, with --debug, takes a line for each step, the children's (LOG) too.
    ``stdio``: see :func:`start`.
    """
    from hutch.init import run
    from hutch.specconv.caps import last_cap

    run.preload(plan)
    cap = last_cap()

    def child(sock: int) -> int:  # pragma: no cover - runs in stage1
        return run.stage1(plan, run.Fds(sock, fifo_fd, console_fd, preserve_fds, debug is not None), cap)

    def usermap(c: Conversation, msg: dict[str, object]) -> None:
        write_id_maps(c.stage1, plan)
        sync.send(c.sock, sync.MAPPED)

    def mount_sources(c: Conversation, msg: dict[str, object]) -> None:
        from hutch.process import mountsrc

        mountsrc.send(c.sock, c.stage1, plan)

    def hooks(c: Conversation, msg: dict[str, object]) -> None:
        creating, created = on_hooks(c.pid)
        sync.send(c.sock, sync.HOOKS_DONE, creating=creating, created=created)

    return start(child, cgroup.apply, plan["process"], "create",
                 now={sync.USERMAP: usermap, sync.MOUNT_SOURCES: mount_sources},
                 with_pid={sync.HOOKS: hooks}, on_seccomp=on_seccomp, debug=debug, stdio=stdio)


def start(
    child: Callable[[int], int],
    place: Callable[[int], None] | None,
    proc: ProcessPlan,
    what: str,
    *,
    now: Mapping[str, Handler] | None = None,
    with_pid: Mapping[str, Handler] | None = None,
    on_seccomp: Callable[[int, int], None] | None = None,
    debug: Debug | None = None,
    stdio: Sequence[int] | None = None,
) -> int:
    """Fork stage1 to run ``child(sock)``, ``place(pid)`` it in its cgroup (the
    container's; for an exec, maybe a sub-cgroup), and converse until the process is
    ready: the pid (host view) of the init (``what`` "create": at READY) or of an exec'd
    process (``what`` "exec": once it has exec'd, its errors until then included).

    ``now`` answers messages that need only stage1 (its pid is ``Conversation.stage1``);
    ``with_pid`` those that need the process's pid, held back until stage1 sent it.

    ``stdio``: the process's stdin, stdout and stderr, for a caller that runs the runtime
    in-process (the engine's supervisor); by default the process gets the caller's own
    0, 1 and 2, as a runtime run from a shell or a shim gives them.
    """
    from hutch.init.creds import set_oom_score_adj

    assert_single_threaded()
    c = Conversation(debug)
    c.log("=> nsexec container setup")
    parent_fd, child_fd = sync.socketpair()
    stage1 = os.fork()
    if stage1 == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            # no collection until it execs: one would walk (and copy, page by page) the
            # whole heap it shares with the runtime, a resident supervisor's included
            gc.disable()
            os.close(parent_fd)
            if stdio is not None:
                _install_stdio(stdio)
            code = child(child_fd)
        finally:
            os._exit(code)
    os.close(child_fd)
    c.sock, c.stage1 = parent_fd, stage1
    try:
        faults.point(f"{what}.forked")
        if place is not None:
            place(stage1)
        faults.point(f"{what}.applied")
        set_oom_score_adj(stage1, proc)
        c.log(f"spawned stage1 ({stage1}) in the container's cgroup, signalling it to run")
        sync.send(parent_fd, sync.GO)
        return c.converse(what == "exec", now or {}, with_pid or {}, on_seccomp)
    except BaseException:
        c.abort()
        raise
    finally:
        os.close(parent_fd)


class Conversation:
    """The runtime's end of one stage1's channel, and what it has learnt so far."""

    __slots__ = ("debug", "listener", "me", "pid", "sock", "stage1")

    def __init__(self, debug: Debug | None) -> None:
        self.debug = debug
        self.me = f"runtime[{os.getpid()}]" if debug else ""
        self.sock = -1
        self.stage1 = 0  # until reaped
        self.pid = 0  # the process's, once stage1 sent it (PID)
        self.listener: Listener | None = None

    def log(self, line: str) -> None:
        if self.debug:
            self.debug(f"{self.me}: {line}")

    def converse(self, until_exec: bool, now: Mapping[str, Handler], with_pid: Mapping[str, Handler],
                 on_seccomp: Callable[[int, int], None] | None) -> int:
        waiting: list[tuple[Handler, dict[str, object]]] = []
        while True:
            try:
                msg = sync.recv(self.sock)
            except sync.ChannelClosed:
                if until_exec and self.pid:
                    self.log(f"the process ({self.pid}) has exec'd")
                    return self.pid  # exec'd: the channel closed on exec
                if until_exec:
                    raise InitFailed("exec", "the process exited before it started") from None
                raise InitFailed("init", "the container's init exited before it was ready") from None
            kind = str(msg["type"])
            if kind == sync.LOG:
                if self.debug:
                    self.debug(str(msg.get("msg")))
                continue
            self.log(f"received {kind!r}")
            if kind == sync.SECCOMP:
                self.listener = Listener(msg)
            else:
                close_fds(msg)
            if kind == sync.PID:
                self.pid = int(msg["pid"])  # type: ignore[call-overload]
                _reap(self.stage1)
                self.stage1 = 0
            elif kind == sync.READY:
                if not until_exec:
                    return self.pid
            elif kind == sync.ERROR:
                raise reported_error(msg)
            elif kind in now:
                now[kind](self, msg)
            elif kind in with_pid:
                waiting.append((with_pid[kind], msg))
            elif kind != sync.SECCOMP:
                raise InitFailed("sync", f"unexpected message {kind!r}")
            if self.pid:
                if self.listener is not None:
                    pending, self.listener = self.listener, None
                    pending.hand_over(self.sock, self.pid, on_seccomp)
                for handler, held in waiting:
                    handler(self, held)
                waiting.clear()

    def abort(self) -> None:
        if self.listener is not None:
            os.close(self.listener.fd)
            self.listener = None
        abort(self.pid, self.stage1)


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
