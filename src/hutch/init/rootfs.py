"""The container's root filesystem: mounts, /dev, pivot_root, masked and read-only paths.

Every path inside the rootfs is resolved by the kernel within the rootfs
(openat2 RESOLVE_IN_ROOT), and every mount lands on the fd it resolved to
(``/proc/self/fd/N``), never on a string path that could be swapped for a
symlink in between: that is the fix for CVE-2021-30465. /dev and masked paths
never follow a symlink planted in the image (CVE-2025-31133, CVE-2025-52565).
"""

from __future__ import annotations

import errno
import os
import stat

from hutch._sys import consts as C
from hutch._sys.mount import AT_EMPTY_PATH, AT_RECURSIVE, mount, mount_setattr, pivot_root, umount2
from hutch.util import rooted
from hutch.util.rooted import fdpath, open_in_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.specconv.plan import DevicePlan, MountPlan, Plan

# Devices every container gets (runtime-spec config-linux.md "Default Devices").
DEFAULT_DEVICES: list[tuple[str, int, int]] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
]

# Flags that an unprivileged mount namespace cannot clear on a bind remount.
_LOCKED = (
    (C.ST_NOSUID, C.MS_NOSUID),
    (C.ST_NODEV, C.MS_NODEV),
    (C.ST_NOEXEC, C.MS_NOEXEC),
    (C.ST_NOATIME, C.MS_NOATIME),
    (C.ST_NODIRATIME, C.MS_NODIRATIME),
    (C.ST_RELATIME, C.MS_RELATIME),
)


def mkdir_all(rootfd: int, path: str, mode: int = 0o755) -> int:
    """Make ``path`` (inside the root) a directory, creating parents; return an O_PATH fd.
    A container path with ``..`` is refused (the spec's paths are cleaned before this)."""
    if ".." in path.split("/"):
        raise OSError(errno.EINVAL, "'..' in a container path", path)
    return rooted.mkdir_all(rootfd, path, mode)


def make_file(rootfd: int, path: str) -> int:
    """Make ``path`` (inside the root) exist as a file or keep what is there; return O_PATH fd."""
    parent, _, name = path.rstrip("/").rpartition("/")
    try:
        return open_in_root(rootfd, path)
    except FileNotFoundError:
        pass
    pfd = mkdir_all(rootfd, parent)
    try:
        try:
            os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o644, dir_fd=pfd))
        except FileExistsError:
            pass
    finally:
        os.close(pfd)
    return open_in_root(rootfd, path)


def locked_flags(fd: int) -> int:
    """MS_* flags the current mount at ``fd`` has that a remount must keep."""
    f_flag = os.statvfs(fdpath(fd)).f_flag
    return sum(ms for st, ms in _LOCKED if f_flag & st)


# --- stages, in the order the init calls them ------------------------------------------


def prepare_root(plan: Plan) -> None:
    """Make our mount namespace a slave of the host's and the rootfs a mount point.

    Without a mount namespace of the container's own, this would change the propagation
    of the caller's / for everyone: then the container only gets a chroot (enter_root).
    """
    if not plan["new_ns_flags"] & C.CLONE_NEWNS:
        return
    prop = plan["rootfs_propagation"]
    if not prop or prop & C.MS_UNBINDABLE:
        # an unbindable / could not be bind-mounted below: that comes after pivot_root
        prop = C.MS_SLAVE | C.MS_REC
    mount(None, "/", None, prop)
    if prop & C.MS_SHARED:
        _make_parent_private(plan["rootfs"])
    mount(plan["rootfs"], plan["rootfs"], None, C.MS_BIND | C.MS_REC)


def _make_parent_private(path: str) -> None:
    """pivot_root refuses a new root whose parent mount is shared."""
    best = "/"
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            if (path == mp or path.startswith(mp.rstrip("/") + "/")) and len(mp) > len(best):
                best = mp
    mount(None, best, None, C.MS_PRIVATE)


def do_mounts(plan: Plan, rootfd: int, sources: list[int] | None = None) -> None:
    """Every mount of the plan, in order. ``sources``, if given, has per mount an O_PATH fd
    of its bind source opened by the runtime (hutch.process.mountsrc), or -1."""
    for i, m in enumerate(plan["mounts"]):
        try:
            mount_one(m, rootfd, plan, sources[i] if sources else -1)
        except OSError as err:
            what = m["source"] if m["bind"] else m["type"]
            raise OSError(err.errno, f"mount {what} to {m['dest']}: {err.strerror}") from None


def mount_one(m: MountPlan, rootfd: int, plan: Plan, srcfd: int = -1) -> None:
    dest = m["dest"]
    if m["type"] == "cgroup" and plan.get("cgroup_binds"):
        _mount_cgroup_v1(m, rootfd, plan)
        return
    if m["bind"] and srcfd >= 0:
        src = fdpath(srcfd)
        st = os.fstat(srcfd)
        fd = mkdir_all(rootfd, dest) if stat.S_ISDIR(st.st_mode) else make_file(rootfd, dest)
    elif m["bind"]:
        src = m["source"]
        if not os.path.isabs(src):
            src = os.path.join(plan["bundle"], src)
        st = os.stat(src)
        fd = mkdir_all(rootfd, dest) if stat.S_ISDIR(st.st_mode) else make_file(rootfd, dest)
    else:
        src = m["source"] or m["type"]
        if m["type"] in ("proc", "sysfs"):
            _check_ordinary_dir(rootfd, m)
        fd = mkdir_all(rootfd, dest)
    try:
        target = fdpath(fd)
        if m["bind"]:
            mount(src, target, None, m["flags"] & (C.MS_BIND | C.MS_REC))
            # A bind ignores other flags: apply them with a remount of the new mount.
            extra = m["flags"] & ~(C.MS_BIND | C.MS_REC | C.MS_REMOUNT)
            if extra:
                nfd = open_in_root(rootfd, dest)
                try:
                    keep = locked_flags(nfd)
                    mount(None, fdpath(nfd), None, C.MS_BIND | C.MS_REMOUNT | extra | keep)
                finally:
                    os.close(nfd)
        else:
            _mount_fs(m, src, target, rootfd)
        if m["propagation"] or m["rec_set"] or m["rec_clear"]:
            nfd = open_in_root(rootfd, dest)
            try:
                for prop in m["propagation"]:
                    mount(None, fdpath(nfd), None, prop)
                if m["rec_set"] or m["rec_clear"]:
                    mount_setattr(nfd, "", AT_EMPTY_PATH | AT_RECURSIVE, m["rec_set"], m["rec_clear"])
            finally:
                os.close(nfd)
    finally:
        os.close(fd)


def delays_readonly(m: MountPlan) -> bool:
    """Whether ``m`` is mounted read-write first and made read-only by `finish_root`: a
    tmpfs may get files or mounts inside it (/dev gets devices, /dev/pts, /dev/shm...),
    as in runc's mountPropagate and finalizeRootfs."""
    return not m["bind"] and (m["type"] == "tmpfs" or m["dest"].rstrip("/") == "/dev")


def _check_ordinary_dir(rootfd: int, m: MountPlan) -> None:
    """proc and sysfs go on a directory, never through a symlink or onto a file the image
    put there (runc's check, and its words)."""
    fd = _open_nofollow(rootfd, m["dest"])
    if fd is None:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            fstype = m["type"]
            raise OSError(errno.ENOTDIR, f'filesystem "{fstype}" must be mounted on ordinary directory')
    finally:
        os.close(fd)


def _mount_fs(m: MountPlan, src: str, target: str, rootfd: int) -> None:
    flags = m["flags"] & ~C.MS_REMOUNT
    if delays_readonly(m):
        flags &= ~C.MS_RDONLY
    data = m["data"] or None
    try:
        mount(src, target, m["type"], flags, data)
    except PermissionError:
        # sysfs and mqueue cannot be mounted in a user namespace that does not own
        # the network/IPC namespace: fall back to a bind of the host's, as runc does.
        if m["type"] == "sysfs":
            mount("/sys", target, None, C.MS_BIND | C.MS_REC)
        elif m["type"] == "mqueue":
            mount("/dev/mqueue", target, None, C.MS_BIND)
        else:
            raise
        if flags & ~(C.MS_BIND | C.MS_REC):
            nfd = open_in_root(rootfd, m["dest"])
            try:
                keep = locked_flags(nfd)
                mount(None, fdpath(nfd), None, C.MS_BIND | C.MS_REMOUNT | flags | keep)
            finally:
                os.close(nfd)


def _mount_cgroup_v1(m: MountPlan, rootfd: int, plan: Plan) -> None:
    """A v1 cgroup mount is a tmpfs holding one bind per hierarchy of the container's cgroup."""
    fd = mkdir_all(rootfd, m["dest"])
    try:
        mount("tmpfs", fdpath(fd), "tmpfs", C.MS_NOSUID | C.MS_NODEV | C.MS_NOEXEC, "mode=755")
    finally:
        os.close(fd)
    for name, host_path in plan.get("cgroup_binds", []):
        sub = m["dest"].rstrip("/") + "/" + name
        sfd = mkdir_all(rootfd, sub)
        try:
            mount(host_path, fdpath(sfd), None, C.MS_BIND | C.MS_REC)
        finally:
            os.close(sfd)
        sfd = open_in_root(rootfd, sub)  # the new mount, not the directory under it
        try:
            flags = m["flags"] & (C.MS_RDONLY | C.MS_NOSUID | C.MS_NODEV | C.MS_NOEXEC)
            mount(None, fdpath(sfd), None, C.MS_BIND | C.MS_REMOUNT | flags | locked_flags(sfd))
        finally:
            os.close(sfd)
        # co-mounted controllers (cpu,cpuacct) also appear under each single name
        if "," in name:
            dfd = open_in_root(rootfd, m["dest"], C.O_PATH | os.O_DIRECTORY)
            try:
                for alias in name.split(","):
                    try:
                        os.symlink(name, alias, dir_fd=dfd)
                    except FileExistsError:
                        pass
            finally:
                os.close(dfd)
    if m["flags"] & C.MS_RDONLY:
        nfd = open_in_root(rootfd, m["dest"])
        try:
            mount(None, fdpath(nfd), None, C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | locked_flags(nfd))
        finally:
            os.close(nfd)


def _has_mount(plan: Plan, dest: str) -> bool:
    return any(m["dest"].rstrip("/") == dest for m in plan["mounts"])


def create_devices(plan: Plan, rootfd: int) -> None:
    """Default devices and linux.devices: mknod, or a bind of the host's node in a user ns."""
    devices: list[DevicePlan] = []
    if _has_mount(plan, "/dev"):
        listed = {d["path"] for d in plan["devices"]}
        for path, major, minor in DEFAULT_DEVICES:
            if path not in listed:
                devices.append(
                    {"path": path, "type": "c", "major": major, "minor": minor,
                     "mode": 0o666, "uid": 0, "gid": 0}
                )
    devices.extend(plan["devices"])
    for dev in devices:
        _create_device(dev, rootfd, bind=plan["userns"] or bool(plan["join_userns"]))
    if _has_mount(plan, "/dev"):
        _dev_symlinks(plan, rootfd)


def _create_device(dev: DevicePlan, rootfd: int, bind: bool) -> None:
    parent, _, name = dev["path"].rpartition("/")
    pfd = mkdir_all(rootfd, parent)
    try:
        kind = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}[dev["type"]]
        # Never follow or keep what the image put there (CVE-2025-52565): replace it.
        try:
            os.unlink(name, dir_fd=pfd)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise OSError(errno.EEXIST, "a directory is in the way of a device", dev["path"]) from None
        if bind:
            os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW,
                             0o644, dir_fd=pfd))
            nfd = os.open(name, C.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
            try:
                mount(dev["path"], fdpath(nfd), None, C.MS_BIND)
            finally:
                os.close(nfd)
            return
        mode = dev["mode"] & 0o7777
        os.mknod(name, mode | kind, os.makedev(dev["major"], dev["minor"]), dir_fd=pfd)
        os.chmod(name, mode, dir_fd=pfd, follow_symlinks=False)
        os.chown(name, dev["uid"], dev["gid"], dir_fd=pfd, follow_symlinks=False)
    finally:
        os.close(pfd)


def _dev_symlinks(plan: Plan, rootfd: int) -> None:
    dfd = open_in_root(rootfd, "/dev", C.O_PATH | os.O_DIRECTORY)
    try:
        links = [("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"),
                 ("/proc/self/fd/1", "stdout"), ("/proc/self/fd/2", "stderr")]
        if _has_mount(plan, "/dev/pts"):
            try:
                os.unlink("ptmx", dir_fd=dfd)
            except FileNotFoundError:
                pass
            links.append(("pts/ptmx", "ptmx"))
        for target, name in links:
            try:
                os.symlink(target, name, dir_fd=dfd)
            except FileExistsError:
                pass
    finally:
        os.close(dfd)


def enter_root(plan: Plan) -> None:
    """pivot_root into the rootfs (or chroot with --no-pivot / without a mount namespace)."""
    rootfs = plan["rootfs"]
    if plan["no_pivot"] or not plan["new_ns_flags"] & C.CLONE_NEWNS:
        os.chdir(rootfs)
        if plan["new_ns_flags"] & C.CLONE_NEWNS:
            if os.environ.get(UNSAFE_KEEP_HOST_PROC) != "1":
                hide_host_proc_sys(rootfs)
            mount(rootfs, "/", None, C.MS_MOVE)
        os.chroot(".")
        os.chdir("/")
        return
    old = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    new = os.open(rootfs, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fchdir(new)
        # pivot_root(".", ".") stacks the old root on top of the new one; unmount it
        # from there (runc's trick: no temporary directory in the image needed).
        pivot_root(".", ".")
        os.fchdir(old)
        mount(None, ".", None, C.MS_SLAVE | C.MS_REC)
        umount2(".", C.MNT_DETACH)
        os.chdir("/")
    finally:
        os.close(old)
        os.close(new)


# Test-only: keep the host's proc and sysfs mounts under a --no-pivot container, to show the
# escape hide_host_proc_sys prevents (tests/integration/test_init_rootfs.py).
UNSAFE_KEEP_HOST_PROC = "HUTCH_RUNTIME_UNSAFE_NO_PIVOT_KEEP_HOST_PROC"


def hide_host_proc_sys(rootfs: str) -> None:
    """Before a --no-pivot container moves its rootfs onto / and chroots: take the host's
    full proc and sysfs mounts out of the mount namespace (runc's msMoveRoot).

    chroot leaves the host's mounts in the namespace, out of sight but there; and the
    kernel lets a new user namespace mount a fresh, unmasked procfs or sysfs if any full,
    uncovered one exists in the mount namespace (mount_too_revealing). The container's
    own /proc has masked paths over it; the host's /proc would be that uncovered one.
    Each is lazily unmounted (as a slave first, so nothing propagates back to the host),
    or, where that is refused, covered with an empty tmpfs."""
    prefix = rootfs.rstrip("/") + "/"
    for mountpoint in host_proc_sys_mounts(prefix):
        try:
            mount(None, mountpoint, None, C.MS_SLAVE | C.MS_REC)
        except FileNotFoundError:
            continue  # under one already detached
        try:
            umount2(mountpoint, C.MNT_DETACH)
        except OSError as err:
            if err.errno not in (errno.EINVAL, errno.EPERM):
                raise
            mount("tmpfs", mountpoint, "tmpfs", 0, None)


def host_proc_sys_mounts(rootfs_prefix: str, mountinfo: str = "/proc/self/mountinfo") -> list[str]:
    """Mount points of every full (root "/") proc or sysfs mount outside the rootfs."""
    out = []
    with open(mountinfo) as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            root, mountpoint, fstype = fields[3], _unescape(fields[4]), fields[sep + 1]
            if root != "/" or fstype not in ("proc", "sysfs"):
                continue
            if (mountpoint + "/").startswith(rootfs_prefix):
                continue
            out.append(mountpoint)
    return out


def _unescape(field: str) -> str:
    """A mountinfo path field: space, tab, newline and backslash come as octal escapes."""
    if "\\" not in field:
        return field
    return (field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n")
            .replace("\\134", "\\"))


def finish_root(plan: Plan) -> None:
    """After entering the root: read-only tmpfs and /dev (now that what goes in them is
    there), sysctls, read-only and masked paths, read-only /, propagation."""
    rootfd = os.open("/", C.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for m in plan["mounts"]:
            if m["flags"] & C.MS_RDONLY and delays_readonly(m):
                _remount_readonly(rootfd, m)
        for key, value in plan["sysctl"].items():
            path = "/proc/sys/" + key.replace(".", "/")
            fd = open_in_root(rootfd, path, os.O_WRONLY, C.RESOLVE_BENEATH | C.RESOLVE_NO_SYMLINKS)
            try:
                os.write(fd, value.encode())
            finally:
                os.close(fd)
        for path in plan["readonly_paths"]:
            _readonly(rootfd, path)
        for path in plan["masked_paths"]:
            _mask(rootfd, path)
        own_root = bool(plan["new_ns_flags"] & C.CLONE_NEWNS)  # else / is a chroot'd directory
        if plan["readonly_root"] and own_root:
            mount(None, "/", None, C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | locked_flags(rootfd))
    finally:
        os.close(rootfd)
    prop = plan["rootfs_propagation"]
    if own_root and prop & (C.MS_SHARED | C.MS_PRIVATE | C.MS_UNBINDABLE):
        mount(None, "/", None, prop)


def _remount_readonly(rootfd: int, m: MountPlan) -> None:
    """Make the mount at ``m``'s destination read-only, keeping its other flags (a bind
    remount: allowed in a user namespace, unlike a remount of the filesystem)."""
    fd = open_in_root(rootfd, m["dest"])
    try:
        keep = m["flags"] & ~(C.MS_REC | C.MS_REMOUNT | C.MS_BIND | C.MS_PROPAGATION)
        mount(None, fdpath(fd), None, C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | keep | locked_flags(fd))
    except OSError as err:
        raise OSError(err.errno, f"remount {m['dest']} read-only: {err.strerror}") from None
    finally:
        os.close(fd)


def _open_nofollow(rootfd: int, path: str) -> int | None:
    """O_PATH fd of ``path`` in the root without following a final symlink; None if absent."""
    parent, _, name = path.rstrip("/").rpartition("/")
    try:
        pfd = open_in_root(rootfd, parent or "/", C.O_PATH | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        return os.open(name, C.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
    except FileNotFoundError:
        return None
    finally:
        os.close(pfd)


def _readonly(rootfd: int, path: str) -> None:
    fd = _open_nofollow(rootfd, path)
    if fd is None:
        return
    try:
        if stat.S_ISLNK(os.fstat(fd).st_mode):
            return
        mount(fdpath(fd), fdpath(fd), None, C.MS_BIND | C.MS_REC)
        nfd = open_in_root(rootfd, path, C.O_PATH, C.RESOLVE_IN_ROOT | C.RESOLVE_NO_SYMLINKS)
        try:
            flags = C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | C.MS_NOSUID | C.MS_NODEV | C.MS_NOEXEC
            mount(None, fdpath(nfd), None, flags | locked_flags(nfd))
        finally:
            os.close(nfd)
    finally:
        os.close(fd)


def _mask(rootfd: int, path: str) -> None:
    fd = _open_nofollow(rootfd, path)
    if fd is None:
        return
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISLNK(mode):
            return  # never follow a symlink planted at a masked path (CVE-2025-31133)
        if stat.S_ISDIR(mode):
            mount("tmpfs", fdpath(fd), "tmpfs", C.MS_RDONLY, None)
            return
        null = os.open("/dev/null", C.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            st = os.fstat(null)
            if not stat.S_ISCHR(st.st_mode) or st.st_rdev != os.makedev(1, 3):
                raise OSError(errno.EPERM, "/dev/null is not the null device", "/dev/null")
            mount(fdpath(null), fdpath(fd), None, C.MS_BIND)
        finally:
            os.close(null)
    finally:
        os.close(fd)
