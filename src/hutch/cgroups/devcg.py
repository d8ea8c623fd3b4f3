"""Apply a container's device rules (:mod:`hutch.cgroups.devices`) to its cgroup.

- cgroup v1: the ``devices`` controller's files. Write the transition from what
  ``devices.list`` shows now to the target, then read it back: an allow list must
  match exactly, a deny list must at least be one (its exceptions do not show).
- cgroup v2: load the eBPF program of :mod:`hutch.cgroups.devfilter` and attach it to
  the cgroup (``BPF_F_ALLOW_MULTI``, so programs of parents keep applying too); then
  detach the programs that were attached before, if the cgroup had any: a device
  access never finds the cgroup without a filter.

On a hybrid host the v1 controller is the one the kernel enforces (if it is mounted);
an eBPF filter on the unified hierarchy would apply as well, so hutch uses one
mechanism only: v1 when it has a ``devices`` hierarchy, else v2.
"""

from __future__ import annotations

import os

from hutch.cgroups import devices as dev
from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from hutch.cgroups.devices import Rule

WHERE = "linux.resources.devices"


def apply_v1(fs: CgroupFS, d: str, rules: Sequence[Rule]) -> None:
    """Make the v1 devices cgroup ``d`` enforce ``rules``."""
    target = dev.Ruleset.of(rules, WHERE)
    current = dev.Ruleset.from_list(fs.read("devices", d, "devices.list"))
    for file, line in current.transition(target):
        try:
            fs.write("devices", d, file, line)
        except CgroupIOError as err:
            raise CgroupError(
                f"cgroup: {WHERE}: cannot write {line!r} to {d}/{file}: {os.strerror(err.errno)}"
            ) from err
    after = dev.Ruleset.from_list(fs.read("devices", d, "devices.list"))
    if (not target.default_allow and after != target) or after.default_allow != target.default_allow:
        raise CgroupError(
            f"cgroup: {WHERE}: {d}/devices.list shows {after!r} after the writes, not {target!r}"
        )


def apply_v2(d: str, rules: Sequence[Rule]) -> None:
    """Attach an eBPF device filter for ``rules`` to the cgroup2 directory ``d``."""
    from hutch._sys import bpf
    from hutch.cgroups import devfilter

    target = dev.Ruleset.of(rules, WHERE)
    code = devfilter.program(target)
    try:
        cgroup_fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise CgroupError(f"cgroup: {WHERE}: cannot open {d}: {err.strerror}") from err
    try:
        old = bpf.query_cgroup_device(cgroup_fd)
        prog = bpf.load_cgroup_device_prog(code)
        try:
            bpf.attach_cgroup_device(cgroup_fd, prog)
        finally:
            os.close(prog)  # the attachment holds the program now
        for prog_id in old:
            old_fd = bpf.prog_fd_by_id(prog_id)
            try:
                bpf.detach_cgroup_device(cgroup_fd, old_fd)
            finally:
                os.close(old_fd)
    except OSError as err:
        raise CgroupError(f"cgroup: {WHERE}: {err.filename}: {err.strerror} (for {d})") from err
    finally:
        os.close(cgroup_fd)
