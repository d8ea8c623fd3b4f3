"""`create`: decode, convert and check the config, then build the container up to `created`.

Nothing touches the kernel until the config has been converted and validated.
Everything made after that (state dir, exec fifo, cgroups, processes) is undone
if a later step fails, so a failed create leaves nothing behind.
"""

from __future__ import annotations

import os

from hutch import faults
from hutch.container import hookstate
from hutch.container.store import FIFO, Store, me
from hutch.errors import CgroupError, HutchError, InvalidSpec, Unsupported
from hutch.util import atomic, procstat, timefmt

TYPE_CHECKING = False  # typing costs ~10 ms of imports (re, enum...) on every create
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.cgroups.manager import Manager
    from hutch.seccomp.compile import SeccompPlan
    from hutch.spec.runtime.config import Spec
    from hutch.specconv.plan import Plan


class CreateOptions:
    __slots__ = (
        "console_fd",
        "console_socket",
        "no_new_keyring",
        "no_pivot",
        "pid_file",
        "preserve_fds",
        "stdio",
        "warm",
    )

    def __init__(
        self,
        pid_file: str | None = None,
        console_socket: str | None = None,
        no_pivot: bool = False,
        no_new_keyring: bool = False,
        preserve_fds: int = 0,
        console_fd: int = -1,
        stdio: tuple[int, int, int] | None = None,
        warm: bool = False,
    ) -> None:
        self.pid_file = pid_file
        self.console_socket = console_socket
        self.no_pivot = no_pivot
        self.no_new_keyring = no_new_keyring
        self.preserve_fds = preserve_fds
        self.console_fd = console_fd  # internal: `run` in the foreground owns the console
        self.stdio = stdio  # internal: the init's stdin/stdout/stderr when the engine runs us in-process
        # internal: the caller (the engine's supervisor: hutch.cgroups.warmup.start_here) keeps
        # the cgroup migration lock warm already, so no warm-up child of create's own
        self.warm = warm


def load_spec(bundle: str) -> Spec:
    """The bundle's config.json, decoded and type-checked by :mod:`hutch.spec.lite`
    (msgspec's model costs ~30 ms of imports): a view with Spec's attributes."""
    from hutch.spec import lite

    if not os.path.isdir(bundle):
        raise HutchError(f"bundle {bundle} does not exist or is not a directory")
    path = os.path.join(bundle, "config.json")
    if not os.path.isfile(path):
        raise InvalidSpec(f"{path}: no such file")
    spec: Spec = lite.load_config(path)
    return spec


def check_preserved_fds(count: int) -> None:
    """--preserve-fds N hands fds 3..3+N-1 to the container: they must be open, or one of
    hutch's own fds could take such a number and leak into the container."""
    if count < 0:
        raise HutchError("--preserve-fds must not be negative")
    for fd in range(3, 3 + count):
        try:
            os.fstat(fd)
        except OSError:
            raise HutchError(f"--preserve-fds {count}: fd {fd} is not open") from None


def check_unsupported(spec: Spec, warn: Callable[[str], None]) -> None:
    """Refuse what hutch cannot honour yet, loudly, instead of silently dropping it."""
    from hutch.specconv.convert import _v

    process = _v(spec, "process")
    linux = _v(spec, "linux")
    from hutch.init import lsm

    if _v(process, "apparmor_profile") and not lsm.host_has("apparmor"):
        raise Unsupported("process.apparmorProfile is set but AppArmor is not enabled on this host")
    if _v(process, "selinux_label") and not lsm.host_has("selinux"):
        raise Unsupported("process.selinuxLabel is set but SELinux is not enabled on this host")
    if _v(linux, "mount_label"):
        raise Unsupported("linux.mountLabel (SELinux mount labels) is not supported by hutch yet")
    if _v(linux, "intel_rdt") is not None:
        raise Unsupported("linux.intelRdt is not supported by hutch")
    if _v(linux, "personality") is not None:
        raise Unsupported("linux.personality is not supported by hutch yet")


#: where `create` keeps compiled seccomp programs, in the runtime's state root (a name no
#: container id can have: ids are [A-Za-z0-9_+.-]; Store.ids lists directories with a state.json)
SECCOMP_CACHE = "seccomp@cache"


def compile_seccomp(spec: Spec, warn: Callable[[str], None], cache_dir: str = "") -> SeccompPlan | None:
    """linux.seccomp as a BPF program (hutch.seccomp.compile), or None without one."""
    from hutch.specconv.convert import _v

    sec = _v(_v(spec, "linux"), "seccomp")
    if sec is None:
        return None
    from hutch.seccomp.compile import compile_cached
    from hutch.spec.lite import to_builtins

    doc = to_builtins(sec)
    assert isinstance(doc, dict)
    return compile_cached(doc, warn, cache_dir)


def create(
    store: Store,
    cid: str,
    bundle: str,
    opts: CreateOptions,
    warn: Callable[[str], None],
    debug: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from hutch.specconv.convert import Options, _v, convert

    store.dir(cid)  # validates the id before anything else
    bundle = os.path.abspath(bundle)
    spec = load_spec(bundle)
    plan = convert(spec, cid, bundle, Options(opts.no_pivot, opts.no_new_keyring))
    check_unsupported(spec, warn)
    plan["seccomp"] = compile_seccomp(spec, warn, os.path.join(store.root, SECCOMP_CACHE))
    terminal = plan["process"]["terminal"]
    if terminal and not opts.console_socket and opts.console_fd < 0:
        raise HutchError("cannot allocate tty if hutch-runtime will detach without setting console socket")
    if not terminal and opts.console_socket:
        raise HutchError("cannot use console socket if hutch-runtime will not detach or allocate tty")
    check_preserved_fds(opts.preserve_fds)
    linux = _v(spec, "linux")
    from hutch.cgroups import open_manager

    cgroup = open_manager(_v(linux, "cgroups_path"), cid)
    shared = check_cgroup(cgroup, warn)

    state_dir = store.create_dir(cid)
    # Held until the first state.json is saved: a `delete` that finds the directory
    # without it then knows this create was killed (see hutch.container.store).
    lock = store.lock(cid)
    warmup = 0
    fds: list[int] = []
    pid_file_written = False
    pid = 0
    try:
        faults.point("create.dir")
        state: dict[str, Any] = {
            "id": cid,
            "pid": 0,
            "creating": me(),
            "bundle": bundle,
            "rootfs": plan["rootfs"],
            "created": timefmt.now(),
            "owner": "",
            "annotations": dict(_v(spec, "annotations", {})),
            "hooks": {k: v for k, v in plan["hooks"].items() if k in ("poststart", "poststop")},
            # Recorded before it is made, so a killed create leaves nothing unrecorded.
            "cgroup": cgroup.to_record(),
        }
        store.save(cid, state)
        os.close(lock)
        lock = -1
        faults.point("create.state")
        fifo = os.path.join(state_dir, FIFO)
        os.mkfifo(fifo, 0o622)
        # Opened for writing by the init as the container's user (runc does the same).
        os.chmod(fifo, 0o622)
        os.chown(fifo, _host_id(plan["uid_map"]), _host_id(plan["gid_map"]))
        fifo_fd = os.open(fifo, os.O_PATH | os.O_CLOEXEC)
        fds.append(fifo_fd)
        console_fd = opts.console_fd
        if opts.console_socket:
            from hutch.process.console import connect_console_socket

            console_fd = connect_console_socket(opts.console_socket)
            fds.append(console_fd)
        cgroup.create()
        faults.point("create.cgroup")
        cgroup.set(plan["resources"])  # limits hold before any process joins
        cgroup.set_devices(plan["device_rules"])
        from hutch.cgroups import warmup as cgroup_warmup

        warmup = 0 if opts.warm else cgroup_warmup.start(cgroup)
        plan["cgroup_binds"] = _cgroup_binds(plan, cgroup)
        atomic.write(os.path.join(state_dir, "plan.json"), _encode_plan(plan))

        def on_hooks(pid: int) -> tuple[str, str]:
            for kind in ("prestart", "createRuntime"):
                hooks = plan["hooks"].get(kind)
                if hooks:
                    from hutch import hooks as runner

                    doc = hookstate.state_json(state, "creating", pid)
                    # from the bundle, as runc runs them (it works in the bundle directory)
                    runner.run_hooks(kind, hooks, doc, warn_only=False, warn=warn, cwd=plan["bundle"])
            return (hookstate.state_json(state, "creating", pid).decode(),
                    hookstate.state_json(state, "created", pid).decode())

        def on_seccomp(pid: int, fd: int) -> None:
            from hutch.container import seccomp_notify as notify

            assert plan["seccomp"] is not None
            notify.hand_to_agent(plan["seccomp"], state, "creating", pid, fd)

        from hutch.process.spawn import spawn

        pid = spawn(plan, cgroup, fifo_fd, console_fd, opts.preserve_fds, on_hooks, on_seccomp, debug,
                    opts.stdio)
        faults.point("create.ready")
        st = procstat.stat(pid)
        state.update(pid=pid, starttime=st[1] if st else 0)
        del state["creating"]
        store.save(cid, state)
        faults.point("create.saved")
        if opts.pid_file:
            atomic.write(os.path.abspath(opts.pid_file), str(pid).encode(), 0o644)
            pid_file_written = True
        return state
    except BaseException as err:
        try:
            if warmup:  # out of the cgroup before it is removed
                from hutch.cgroups import warmup as cgroup_warmup

                cgroup_warmup.reap(warmup)
                warmup = 0
            import signal

            if not shared:
                cgroup.kill_all(signal.SIGKILL)
                cgroup.destroy()
            elif pid:  # the cgroup and its other processes are not ours to kill
                os.kill(pid, signal.SIGKILL)
            store.remove(cid)
            if pid_file_written and opts.pid_file:
                os.unlink(opts.pid_file)
        except Exception as cleanup:  # pragma: no cover - reported with the cause
            err.add_note(f"cleanup also failed: {cleanup}")
        raise
    finally:
        if lock >= 0:
            os.close(lock)
        if warmup:
            from hutch.cgroups import warmup as cgroup_warmup

            cgroup_warmup.reap(warmup)
        for fd in fds:
            os.close(fd)


def check_cgroup(cgroup: Manager, warn: Callable[[str], None]) -> bool:
    """runc's checks of a cgroup that exists already, before anything is made; True if
    processes are in it (the container then shares it: a warning, as runc gives).
    A frozen cgroup is refused: the init would never get to report back."""
    from hutch.cgroups import freezer

    pids = cgroup.pids() if cgroup.exists() else []
    if pids:
        warn(f"container's cgroup is not empty: {len(pids)} process(es) found")
    if freezer.would_freeze(cgroup.paths):
        raise CgroupError("container's cgroup unexpectedly frozen")
    return bool(pids)


def _cgroup_binds(plan: Plan, cgroup: Any) -> list[list[str]]:
    """How the container sees its cgroup: v1 binds of each hierarchy, or one cgroup2 mount."""
    mounts = [m for m in plan["mounts"] if m["type"] == "cgroup"]
    if not mounts:
        return []
    from hutch._sys.consts import CLONE_NEWCGROUP, MS_BIND, MS_REC
    from hutch.cgroups import V2

    if cgroup.mode == V2:
        (path,) = cgroup.paths.values()
        for m in mounts:
            if plan["new_ns_flags"] & CLONE_NEWCGROUP:
                m["type"], m["source"] = "cgroup2", "cgroup2"
            else:  # without a cgroup namespace, show only the container's own cgroup
                m["type"], m["source"], m["bind"] = "bind", path, True
                m["flags"] |= MS_BIND | MS_REC
        return []
    return [[name.removeprefix("name="), path] for name, path in sorted(cgroup.paths.items())
            if name != "unified"]


def _host_id(idmap: str) -> int:
    """The host id that container id 0 maps to (0 without a user namespace)."""
    for line in idmap.splitlines():
        inside, outside, size = (int(x) for x in line.split())
        if inside <= 0 < inside + size:
            return outside - inside
    return 0


def _encode_plan(plan: Plan) -> bytes:
    from hutch.specconv.plan import encode

    return encode(plan)
