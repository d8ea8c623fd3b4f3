"""The last steps before exec: find the program, enter the cwd, reset signals, close fds."""

from __future__ import annotations

import os

from hutch._sys import sig as signal
from hutch._sys.consts import CLOSE_RANGE_CLOEXEC
from hutch._sys.fs import close_range

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.specconv.plan import ProcessPlan


DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ExecError(Exception):
    pass


def env_dict(env: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in env:
        key, sep, value = item.partition("=")
        if sep and key:
            out[key] = value
    return out


def find_program(proc: ProcessPlan) -> str:
    """Resolve args[0] like execvp does with the container's PATH; error if absent.

    Whether the process may execute a file is decided for the process's own user (the
    plan's uid, gid and groups) from stat(2) alone, so this can run before the credentials
    change and before a seccomp filter: faccessat2, which os.access calls, is missing from
    allowlists older than Linux 5.8 (runtime-tools' default profile)."""
    name = proc["args"][0]
    if "/" in name:
        candidates = [name if name.startswith("/") else os.path.join(proc["cwd"], name)]
    else:
        path = env_dict(proc["env"]).get("PATH", DEFAULT_PATH)
        candidates = [os.path.join(d or ".", name) for d in path.split(":")]
    for cand in candidates:
        try:
            st = os.stat(cand)
        except OSError:
            continue
        if st.st_mode & _S_IFMT == _S_IFREG and may_execute(st.st_mode, st.st_uid, st.st_gid, proc):
            return cand
    for cand in candidates:
        if os.path.exists(cand):
            raise ExecError(f'exec: "{name}": permission denied')
    if "/" in name:
        raise ExecError(f'exec: "{name}": stat {name}: no such file or directory')
    raise ExecError(f'exec: "{name}": executable file not found in $PATH')


_S_IFMT, _S_IFREG = 0o170000, 0o100000


def may_execute(mode: int, owner: int, group: int, proc: ProcessPlan) -> bool:
    """The kernel's permission check for exec, for the plan's user: root needs one x bit
    (CAP_DAC_OVERRIDE does the rest); others the owner's, group's or others' bit, the
    first class they are in."""
    if proc["uid"] == 0:
        return bool(mode & 0o111)
    if owner == proc["uid"]:
        return bool(mode & 0o100)
    if group == proc["gid"] or group in proc["additional_gids"]:
        return bool(mode & 0o010)
    return bool(mode & 0o001)


def enter_cwd(proc: ProcessPlan) -> None:
    """chdir to the cwd and prove it is inside the container (CVE-2024-21626)."""
    try:
        os.chdir(proc["cwd"])
    except OSError as err:
        raise ExecError(f"chdir to cwd ({proc['cwd']!r}) set in config.json failed: {err.strerror}") from None
    try:
        os.getcwd()  # ENOENT: the cwd is not reachable from our root
        inside = True
    except FileNotFoundError:
        inside = False
    except OSError:  # getcwd(2) refused, by a seccomp filter already installed
        inside = reaches_root()
    if not inside:
        raise ExecError("current working directory is outside of the container")


def reaches_root() -> bool:
    """Whether climbing ``..`` from the cwd meets our root, with stat(2) only: at our root
    ``..`` is the root itself; from a directory outside it, the climb ends at a top whose
    ``..`` is itself but which is not our root."""
    root = os.stat("/")
    path = "."
    for _ in range(4096):  # PATH_MAX / 2: deeper cannot be a real path
        here = os.stat(path)
        if (here.st_dev, here.st_ino) == (root.st_dev, root.st_ino):
            return True
        up = os.stat(path + "/..")
        if (up.st_dev, up.st_ino) == (here.st_dev, here.st_ino):
            return False
        path += "/.."
    return False


def reset_signals() -> None:
    """Python leaves SIGPIPE/SIGXFSZ ignored and SIG_IGN survives execve: reset all."""
    for sig in range(1, signal.NSIG):
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def close_fds(preserve: int) -> None:
    """Every fd from 3 + preserve up closes at exec (CVE-2024-21626); the preserved ones
    are inherited. Marked CLOEXEC rather than closed, so that the channels that report a
    failed exec stay open until the exec itself succeeds."""
    for fd in range(3, 3 + preserve):
        try:
            os.set_inheritable(fd, True)
        except OSError:
            pass
    try:
        close_range(3 + preserve, 0xFFFFFFFF, CLOSE_RANGE_CLOEXEC)
    except OSError:  # kernels before 5.11
        os.closerange(3 + preserve, 1 << 20)


def execute(path: str, proc: ProcessPlan) -> None:
    """The exec itself: the fds were marked CLOEXEC (``close_fds``) before any seccomp
    filter went in, since it may refuse close_range."""
    reset_signals()
    os.execve(path, proc["args"], env_dict(proc["env"]))
