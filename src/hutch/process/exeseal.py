"""CVE-2019-5736, closed for a Python runtime: the interpreter that enters a container is
read-only through every path a container process can reach.

The attack: a container's program starting ``#!/proc/self/exe`` makes the kernel run the
runtime's own binary (here: the host's Python interpreter) as a container process, which
is dumpable again after that exec; the container then holds an fd of that binary and,
once nothing runs it, opens ``/proc/self/fd/N`` for writing and overwrites the host's
interpreter. Non-dumpability of hutch's own processes does not stop it.

The defence (runc 1.2 takes the same idea with an overlayfs): ``create``, ``run`` and
``exec`` run from a read-only bind mount of the interpreter, so every process forked from
them (the container's init, an exec'd process) and any ``#!/proc/self/exe`` trick reach
the binary only through that mount: opening it for writing fails with EROFS.

The sealed interpreter, made once (a :class:`Seal`): ``DIR/bin/python3``, an empty file
with the interpreter bound read-only (nosuid, nodev) onto it, and around it the venv's
layout that Python's getpath and site look for: ``DIR/pyvenv.cfg`` (the venv's) and
``DIR/lib`` -> the venv's lib, so that it is the venv's Python at another path (the
launchers put their paths on ``sys.path`` themselves and run it with ``-I -S``). ``DIR`` is
``/run/hutch-py/<venv's parent name>-<hash>``: gone at a reboot, like the mount. It is made
by ``scripts/setup.sh`` (:mod:`hutch.process.launcher`) and by the first sealed command
that finds it missing; it never changes a file of the machine's.

Which case does what:

1. The usual one: the launchers (:mod:`hutch.process.launcher`, ``#!/bin/sh`` scripts)
   execute ``DIR/bin/python3`` when it is there; :func:`ensure` then only checks it (one
   statvfs of /proc/self/exe, a readlink and two stats: read-only, and the same dev/ino as
   the interpreter it was bound from). No second interpreter start.
2. Stale (the interpreter file was replaced, e.g. by an upgrade): this process still runs
   from the read-only old binary, so it goes on; :func:`ensure` re-binds the new one for
   the next commands.
3. Missing (after a reboot, or a launcher that is not hutch's: pip's console scripts,
   ``python -m``): the launcher starts the plain interpreter; :func:`ensure` makes the seal
   and re-executes the command through it, once.
4. The seal cannot be made (not allowed to mount there, no venv around the interpreter):
   the fallback of old, one more interpreter start per command. :func:`ensure` makes a
   private mount namespace, binds the interpreter onto itself read-only there and
   re-executes through that path; the new process goes back to the caller's mount
   namespace (an fd kept across the exec) and cwd, and its ``/proc/self/exe`` still names
   the read-only mount, which lives on, detached, as long as a process runs from it.

``HUTCH_RUNTIME_UNSAFE_NO_EXE_SEAL=1`` turns it off (the launchers then start the plain
interpreter too): only for the test that shows the attack succeeding without it.
"""

from __future__ import annotations

import os
import sys

_NS_FD = "_HUTCH_EXESEAL_MNTNS"  # the caller's mount namespace, an fd inherited across the re-exec
_CWD = "_HUTCH_EXESEAL_CWD"
_REEXEC = "_HUTCH_EXESEAL_REEXEC"  # set on the one re-execution through a newly made seal
UNSAFE = "HUTCH_RUNTIME_UNSAFE_NO_EXE_SEAL"
ROOT = "/run/hutch-py"


class SealError(Exception):
    pass


class Seal:
    """A read-only interpreter: ``dir``/bin/python3 bound from ``interpreter`` (a path that
    may be a symlink, followed when it is bound and checked), in the layout of ``venv``."""

    __slots__ = ("dir", "interpreter", "venv")

    def __init__(self, directory: str, interpreter: str, venv: str) -> None:
        self.dir, self.interpreter, self.venv = directory, interpreter, venv

    @property
    def python(self) -> str:
        return os.path.join(self.dir, "bin", "python3")

    def __repr__(self) -> str:
        return f"Seal({self.dir!r}, {self.interpreter!r}, {self.venv!r})"


#: This process's seal, set by hutch's launchers; None: :func:`default` finds it.
SEAL: Seal | None = None


def default(venv: str) -> Seal:
    """The seal of ``venv`` (its ``bin/python3``) under :data:`ROOT`."""
    import hashlib

    venv = os.path.abspath(venv)
    tag = hashlib.sha256(venv.encode()).hexdigest()[:10]
    name = os.path.basename(os.path.dirname(venv)) or "root"
    return Seal(os.path.join(ROOT, f"{name}-{tag}"), os.path.join(venv, "bin", "python3"), venv)


def _own_seal() -> Seal | None:
    """:data:`SEAL`, else the seal of the venv this interpreter runs in, if it is one."""
    if SEAL is not None:
        return SEAL
    venv = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
    return default(venv) if os.path.isfile(os.path.join(venv, "pyvenv.cfg")) else None


def is_sealed() -> bool:
    """Whether this process's executable is on a read-only mount."""
    return bool(os.statvfs("/proc/self/exe").f_flag & os.ST_RDONLY)


def is_current(seal: Seal) -> bool:
    """Whether ``seal``'s interpreter is bound read-only from today's interpreter file."""
    try:
        bound, source = os.stat(seal.python), os.stat(seal.interpreter)
        return (bound.st_dev, bound.st_ino) == (source.st_dev, source.st_ino) and bool(
            os.statvfs(seal.python).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def ensure() -> None:
    """Return once this process runs from a read-only interpreter; re-exec to get there
    (the module's doc says when)."""
    reexec = os.environ.pop(_REEXEC, None)
    ns_fd = os.environ.pop(_NS_FD, None)
    cwd = os.environ.pop(_CWD, None)
    if ns_fd is not None and cwd is not None:
        _come_back(int(ns_fd), cwd)
    if os.environ.get(UNSAFE) == "1":
        return
    if is_sealed():
        seal = SEAL  # a replaced file's mount reads "PATH (deleted)"
        exe = os.readlink("/proc/self/exe").removesuffix(" (deleted)")
        if seal is not None and exe == seal.python and not is_current(seal):
            try:  # stale: this process runs the old binary, read-only; the next ones get the new
                make(seal)
            except SealError:
                pass
        return
    if ns_fd is not None:  # already re-executed once, and still writable: do not loop
        raise SealError("cannot run the interpreter from a read-only mount")
    seal = _own_seal() if reexec is None else None
    if seal is not None:
        try:
            make(seal)
        except SealError:
            pass
        else:
            _exec(seal.python, seal.python, {_REEXEC: "1"})
    _reexec_private()


def make(seal: Seal) -> None:
    """Make (or re-make) ``seal``: a no-op when it is current. Serialised by a lock in its
    directory, so that two first commands make it once."""
    from hutch import filelock
    from hutch._sys import consts as C
    from hutch._sys.mount import mount

    real = os.path.realpath(seal.interpreter)
    try:
        with open(os.path.join(seal.venv, "pyvenv.cfg"), "rb") as f:
            cfg = f.read()
        os.makedirs(os.path.join(seal.dir, "bin"), 0o755, exist_ok=True)
        with filelock.locked(seal.dir, ".lock"):
            if is_current(seal):
                return
            _put(os.path.join(seal.dir, "pyvenv.cfg"), cfg)
            _link(os.path.join(seal.dir, "lib"), os.path.join(seal.venv, "lib"))
            _unmount(seal.python)
            if not os.path.exists(seal.python):  # the mount point: not executable while empty
                os.close(os.open(seal.python, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
            mount(real, seal.python, None, C.MS_BIND)
            try:
                mount(None, seal.python, None,
                      C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | C.MS_NODEV | C.MS_NOSUID)
            except OSError:
                _unmount(seal.python)
                raise
    except OSError as err:
        raise SealError(f"cannot bind the interpreter {real} read-only at {seal.python}: "
                        f"{err.strerror}") from err


def remove(seal: Seal) -> None:
    """Unmount and delete ``seal`` (processes running from it keep their binary)."""
    from hutch.util.tree import remove_tree

    _unmount(seal.python)
    remove_tree(seal.dir)


def _put(path: str, data: bytes) -> None:
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    from hutch.util import atomic

    atomic.write(path, data, 0o644)


def _link(path: str, target: str) -> None:
    try:
        if os.readlink(path) == target:
            return
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.symlink(target, path)


def _unmount(path: str) -> None:
    """Every mount stacked on ``path``, lazily (processes running from them go on)."""
    from hutch._sys import consts as C
    from hutch._sys.mount import umount2

    for _ in range(64):
        try:
            umount2(path, C.MNT_DETACH | C.UMOUNT_NOFOLLOW)
        except OSError:  # EINVAL: not a mount point (any more); ENOENT: not there
            return


def _exec(exe: str, argv0: str, extra: dict[str, str]) -> None:
    """The same command again, from ``exe``; ``argv0`` tells Python its venv."""
    env = dict(os.environ)
    env.update(extra)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(exe, [argv0, *sys.orig_argv[1:]], env)


def _come_back(ns_fd: int, cwd: str) -> None:
    from hutch._sys import consts as C
    from hutch._sys.ns import setns

    try:
        setns(ns_fd, C.CLONE_NEWNS)
    finally:
        os.close(ns_fd)
    os.chdir(cwd)  # setns moved us to the namespace's root


def _reexec_private() -> None:
    from hutch._sys import consts as C
    from hutch._sys.mount import mount
    from hutch._sys.ns import unshare

    exe = os.readlink("/proc/self/exe")
    if not exe.startswith("/") or exe.endswith(" (deleted)"):
        raise SealError(f"the interpreter {exe!r} is not a file that can be bound read-only")
    cwd = os.getcwd()
    ns_fd = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    try:
        os.set_inheritable(ns_fd, True)  # it crosses the exec
        unshare(C.CLONE_NEWNS)
        mount(None, "/", None, C.MS_REC | C.MS_PRIVATE)  # nothing below leaks to the caller's
        mount(exe, exe, None, C.MS_BIND)
        mount(None, exe, None, C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | C.MS_NODEV | C.MS_NOSUID)
    except OSError as err:
        os.close(ns_fd)
        raise SealError(f"cannot bind the interpreter {exe} read-only: {err.strerror}") from err
    _exec(exe, sys.orig_argv[0], {_NS_FD: str(ns_fd), _CWD: cwd})
