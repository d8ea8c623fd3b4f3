"""The child side of `exec`: join a running container's namespaces and exec a process.

    runtime (parent)                 stage1 (forked)                  process
    apply cgroup ── GO ───────────▶  non-dumpable; setns user, then
                                     the others, mount last; fork ──▶ console; rlimits; creds;
                  ◀── PID ────────   exit                              cwd; program found
                  ◀── SECCOMP (listener fd), with notify ───────────  seccomp filter
                  ── SECCOMP_DONE ─────────────────────────────────▶
                  ◀── READY ─────────────────────────────────────────  exec (the channel closes:
                  ◀── ERROR, if exec itself failed                     CLOEXEC)
"""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch._sys.creds import prctl
from hutch.init import creds, execve, lsm, namespaces
from hutch.init.run import Fds, debug, finish, report
from hutch.process import sync

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.seccomp.compile import SeccompPlan
    from hutch.specconv.plan import ProcessPlan

# /proc/PID/ns names, in join order (user first; mount last: it changes our root).
NS_FILES = (
    ("user", C.CLONE_NEWUSER),
    ("ipc", C.CLONE_NEWIPC),
    ("uts", C.CLONE_NEWUTS),
    ("net", C.CLONE_NEWNET),
    ("pid", C.CLONE_NEWPID),
    ("cgroup", C.CLONE_NEWCGROUP),
    ("time", C.CLONE_NEWTIME),
    ("mnt", C.CLONE_NEWNS),
)


def stage1(joins: list[tuple[str, int]], proc: ProcessPlan, fds: Fds, last_cap: int,
           setgroups: bool, filt: SeccompPlan | None = None) -> int:
    try:
        prctl(C.PR_SET_DUMPABLE, 0)
        sync.expect(fds.sock, sync.GO)
        for path, kind in joins:
            if fds.debug:
                debug(fds, f"stage1[{os.getpid()}]: setns(0x{kind:x}) into namespace {path}")
            namespaces.join(path, kind)
        pid = os.fork()
        if pid == 0:
            os._exit(process(proc, fds, last_cap, setgroups, filt))
        if fds.debug:
            debug(fds, f"stage1[{os.getpid()}]: spawned the process ({pid}), sending its pid to the runtime")
        sync.send(fds.sock, sync.PID, pid=pid)
        return 0
    except BaseException as err:
        report(fds.sock, "namespaces", err)
        return 1


def process(proc: ProcessPlan, fds: Fds, last_cap: int, setgroups: bool, filt: SeccompPlan | None) -> int:
    stage = "exec"
    try:
        if fds.debug:
            debug(fds, f"process[{os.getpid()}]: <= nsexec container setup")
            debug(fds, "child process in init()")
        if proc["terminal"]:
            from hutch.process import console

            stage = "console"
            os.setsid()
            master, slave = console.open_pty(*(proc["console_size"] or ()))
            console.send_fd(fds.console, master, "/dev/ptmx")
            os.close(master)
            console.make_controlling_tty(slave)
        if proc.get("apparmor") or proc.get("selinux_label"):  # (absent in older plans)
            stage = "lsm"
            lsm.prepare_exec(proc.get("apparmor", ""), proc.get("selinux_label", ""))
        stage = "process"
        creds.set_rlimits(proc)
        creds.set_no_new_privs(proc)
        where = [stage]
        try:
            program = finish(filt, proc, fds.preserve, fds.sock, last_cap, setgroups, where)
        finally:
            stage = where[-1]
        debug(fds, "setns_init: about to exec")
        sync.send(fds.sock, sync.READY)
        execve.execute(program, proc)
    except BaseException as err:
        report(fds.sock, stage, err)  # the runtime waits for exec or this, and prints it
    return 255
