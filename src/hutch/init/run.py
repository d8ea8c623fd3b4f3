"""The container's init, as a flat script of named stages.

    runtime (parent)                 stage1 (forked)                 init (pid 1)
    apply cgroup ── GO ───────────▶  non-dumpable; user ns
                  ◀── USERMAP ────   (new user ns)
    write maps  ── MAPPED ────────▶  join ns by path; unshare new
                  ◀── MOUNT_SOURCES  (user ns + new mount ns + binds)
    open binds  ── MOUNT_SOURCE…, MOUNT_SOURCES_DONE ─▶ (fds kept for the init)
                  ◀── PID ────────   fork ─────────────────────────▶ setsid; lo up; mounts; /dev
                                     exit                            ◀─▶ HOOKS / HOOKS_DONE
                                                                     createContainer hooks
                                                                     pivot_root; masks; sysctl
                                                                     hostname; console; creds
                  ◀── SECCOMP (listener fd) ───────────────────────  seccomp filter (with notify:
    to the agent ── SECCOMP_DONE ──────────────────────────────────▶  the listener fd to the agent)
                  ◀── READY ──────────────────────────────────────── cwd, program found
    save state; exit                                                 block on exec.fifo
    (`start` opens exec.fifo) ─────────────────────────────────────▶ startContainer hooks; exec

Everything before READY reports failure as an ERROR message the parent raises
as InitFailed; nothing here logs or prints. With --debug (``Fds.debug``) each step
is also sent as a LOG message, which the runtime writes to its own log; runc's
words where the step is runc's (tools and people grep for them). This module imports only os, sys,
signal and hutch modules that do the same (an import-allowlist test guards it).
"""

from __future__ import annotations

import errno
import os

from hutch import hooks as hookrun
from hutch._sys import consts as C
from hutch._sys import misc
from hutch._sys import sig as signal
from hutch._sys.creds import prctl
from hutch.init import creds, execve, lsm, namespaces, rootfs, seccomp
from hutch.process import mountsrc, sync

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.seccomp.compile import SeccompPlan
    from hutch.specconv.plan import Plan, ProcessPlan


class Fds:
    """The fds the init inherits from the runtime (and whether it wants debug lines)."""

    __slots__ = ("console", "debug", "fifo", "mounts", "preserve", "sock")

    def __init__(self, sock: int, fifo: int, console: int, preserve: int, debug: bool = False) -> None:
        self.sock, self.fifo, self.console, self.preserve = sock, fifo, console, preserve
        self.debug = debug
        # per plan["mounts"], the bind source the runtime opened (hutch.process.mountsrc), or -1
        self.mounts: list[int] = []

    def close_mounts(self) -> None:
        for fd in self.mounts:
            if fd >= 0:
                os.close(fd)
        self.mounts = []


def debug(fds: Fds, msg: str) -> None:
    """A line for the runtime's debug log (--debug only), sent over the channel: the
    runtime writes it where its own lines go. Callers test ``fds.debug`` first where
    the text costs anything to build."""
    if fds.debug:
        try:
            sync.send(fds.sock, sync.LOG, msg=msg)
        except OSError:
            pass


def stage1(plan: Plan, fds: Fds, last_cap: int) -> int:
    """Runs in the first child: namespaces, then fork the init. Returns an exit code."""
    stage = "namespaces"
    try:
        # Nothing that enters the container may expose the host's python through
        # /proc/PID/exe to the container (CVE-2019-5736).
        prctl(C.PR_SET_DUMPABLE, 0)
        sync.expect(fds.sock, sync.GO)

        def request_maps() -> None:
            sync.send(fds.sock, sync.USERMAP)
            sync.expect(fds.sock, sync.MAPPED)

        if fds.debug:
            debug_namespaces(plan, fds)
        namespaces.enter_user(plan, request_maps)
        namespaces.join_others(plan)
        namespaces.unshare_new(plan)
        if mountsrc.wanted(plan):
            stage = "mount sources"
            fds.mounts = mountsrc.receive(fds.sock, len(plan["mounts"]))
        pid = os.fork()
        if pid == 0:
            os._exit(init(plan, fds, last_cap))
        fds.close_mounts()
        if fds.debug:
            debug(fds, f"stage1[{os.getpid()}]: spawned the init ({pid}), sending its pid to the runtime")
        sync.send(fds.sock, sync.PID, pid=pid)
        return 0
    except BaseException as err:
        report(fds.sock, stage, err)
        return 1


def init(plan: Plan, fds: Fds, last_cap: int) -> int:
    stage = "init"
    proc = plan["process"]
    try:
        if fds.debug:
            debug(fds, f"init[{os.getpid()}]: <= nsexec container setup")
            debug(fds, "child process in init()")
        os.setsid()
        if plan["lo_up"]:
            stage = "network"
            namespaces.loopback_up()
        if plan["new_keyring"]:
            stage = "keyring"
            join_keyring(plan)
        stage = "rootfs"
        rootfs.prepare_root(plan)
        rootfd = os.open(plan["rootfs"], C.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            rootfs.do_mounts(plan, rootfd, fds.mounts)
            fds.close_mounts()
            stage = "devices"
            rootfs.create_devices(plan, rootfd)
        finally:
            os.close(rootfd)
        if fds.debug:
            debug(fds, f"init: mounts and devices set up in {plan['rootfs']}")
        stage = "hooks"
        sync.send(fds.sock, sync.HOOKS)
        done = sync.expect(fds.sock, sync.HOOKS_DONE)
        state = str(done["created"]).encode()
        # in the container's namespaces, before pivot_root, from the rootfs (as runc does)
        run_hooks("createContainer", plan, str(done["creating"]).encode(), cwd=plan["rootfs"])
        stage = "pivot_root"
        debug(fds, "init: entering the container's root")
        rootfs.enter_root(plan)
        stage = "rootfs"
        rootfs.finish_root(plan)
        stage = "hostname"
        set_names(plan)
        if proc["terminal"]:
            stage = "console"
            setup_console(plan, fds)
        if proc.get("apparmor") or proc.get("selinux_label"):  # (absent in older plans)
            stage = "lsm"
            lsm.prepare_exec(proc.get("apparmor", ""), proc.get("selinux_label", ""))
        stage = "process"
        creds.set_rlimits(proc)
        creds.set_no_new_privs(proc)
        where = [stage]
        try:
            program = finish(plan["seccomp"], proc, fds.preserve, fds.sock, last_cap, setgroups_allowed(plan),
                             where)
        finally:
            stage = where[-1]
    except BaseException as err:
        report(fds.sock, stage, err)
        return 1
    debug(fds, "init: closing the pipe to signal completion")
    sync.send(fds.sock, sync.READY)
    os.close(fds.sock)
    started = -1
    try:
        started = wait_for_start(fds.fifo)
        run_hooks("startContainer", plan, state)
        execve.execute(program, proc)
    except BaseException as err:
        # `start` reads this from the fifo; the fifo's CLOEXEC write end closing is how it
        # knows the exec succeeded.
        try:
            os.write(started if started >= 0 else 2, describe(err).encode())
        except OSError:
            pass
    return 255


def finish(filt: SeccompPlan | None, proc: ProcessPlan, preserve: int, sock: int, last_cap: int,
           setgroups: bool, where: list[str]) -> str:
    """The security-ordered tail, for the init and for exec (hutch.init.setns); the
    program to exec. Everything a seccomp profile may refuse happens before its filter:

    1. the cwd, entered while still privileged (runc's order: a user who cannot reach it
       still starts there) and proved to be inside the container (CVE-2024-21626);
    2. the program, found for the process's user with stat(2) alone;
    3. the fd sweep (close_range, marking CLOEXEC);
    4. without no_new_privs, the filter: installing it needs CAP_SYS_ADMIN, so before
    5. the credentials (bounding set, user and groups, capabilities, umask);
    6. with no_new_privs, the filter, as late as it can go.

    What the init does after the filter (report ready, wait for `start`, run the
    startContainer hooks, exec) are calls any profile that runs a container allows.
    ``where`` gets the name of each step as it begins (the one that failed is last)."""
    where.append("exec")
    execve.enter_cwd(proc)
    program = execve.find_program(proc)
    execve.close_fds(preserve)
    if filt is not None and not proc["no_new_privs"]:
        where.append("seccomp")
        seccomp.install(filt, sock)
    where.append("credentials")
    creds.finalize(proc, last_cap, setgroups_allowed=setgroups)
    if filt is not None and proc["no_new_privs"]:
        where.append("seccomp")
        seccomp.install(filt, sock)
    where.append("exec")
    return program


def debug_namespaces(plan: Plan, fds: Fds) -> None:
    """The namespace steps stage1 is about to take, in their order."""
    me = f"stage1[{os.getpid()}]"
    if plan["join_userns"]:
        debug(fds, f"{me}: setns(0x{C.CLONE_NEWUSER:x}) into namespace {plan['join_userns']}")
    elif plan["userns"]:
        debug(fds, f"{me}: unshare(0x{C.CLONE_NEWUSER:x}) a user namespace, the runtime writes its maps")
    joins = {ns["kind"]: ns["path"] for ns in plan["namespaces"] if ns["path"]}
    for kind in namespaces.JOIN_ORDER[1:]:
        if kind in joins:
            debug(fds, f"{me}: setns(0x{kind:x}) into namespace {joins[kind]}")
    flags = plan["new_ns_flags"] & ~C.CLONE_NEWUSER
    if flags:
        debug(fds, f"{me}: unshare(0x{flags:x}) the new namespaces")


def join_keyring(plan: Plan) -> None:
    """A session keyring of the container's own, so it never shares the runtime's keys."""
    try:
        misc.join_session_keyring(f"_ses.{plan['id']}")
    except OSError as err:
        if err.errno not in (errno.ENOSYS, errno.EACCES, errno.EDQUOT):
            raise  # runc also tolerates kernels or user namespaces without keyrings


def preload(plan: Plan) -> None:
    """Import what the init will need, in the runtime before it forks: once in the
    container's user namespace or root, the host's source files may be out of reach."""
    if plan["process"]["terminal"]:
        import socket  # noqa: F401

        import hutch.process.console  # noqa: F401


def set_names(plan: Plan) -> None:
    if plan["hostname"] is not None:
        misc.sethostname(plan["hostname"])
    if plan["domainname"] is not None:
        misc.setdomainname(plan["domainname"])


def setgroups_allowed(plan: Plan) -> bool:
    if not (plan["userns"] or plan["join_userns"]):
        return True
    try:
        with open("/proc/self/setgroups") as f:
            return f.read().strip() == "allow"
    except OSError:
        return True


def setup_console(plan: Plan, fds: Fds) -> None:
    from hutch.process import console

    size = plan["process"]["console_size"]
    master, slave = console.open_pty(*(size or ()))
    console.send_fd(fds.console, master, "/dev/ptmx")
    os.close(master)
    os.close(fds.console)
    console.make_controlling_tty(slave)


def run_hooks(kind: str, plan: Plan, state: bytes, cwd: str | None = None) -> None:
    hooks = plan["hooks"].get(kind)
    if hooks:
        hookrun.run_hooks(kind, hooks, state, warn_only=False, warn=lambda m: None, cwd=cwd)


def _exit_on_signal(sig: int, _frame: object) -> None:
    os._exit(128 + sig)


def wait_for_start(fifo_fd: int) -> int:
    """Block until `start` opens the exec fifo; die quietly if killed while created.

    Returns the fifo's write end, left open: it is CLOEXEC, so `start` sees EOF at
    the exec, or an error message if the exec never happens.
    """
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, _exit_on_signal)
    fd = os.open(f"/proc/self/fd/{fifo_fd}", os.O_WRONLY | os.O_CLOEXEC)
    os.close(fifo_fd)
    try:
        os.write(fd, b"0")
    except BrokenPipeError:
        pass  # `start` opened the fifo, then died before it read: the start was asked for
    return fd


def describe(err: BaseException) -> str:
    """One line for the user: "strerror: path" for OS errors, else the message."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    return str(err) or type(err).__name__


def report(sock: int, stage: str, err: BaseException) -> None:
    try:
        sync.send(sock, sync.ERROR, stage=stage, msg=describe(err),
                  errno=getattr(err, "errno", 0) or 0)
    except OSError:
        pass
