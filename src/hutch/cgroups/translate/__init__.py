"""LinuxResources values -> cgroup file writes, for cgroup v1 and v2 (pure, table-driven).

:func:`translate` takes resources already checked by :func:`hutch.specconv.resources.check`
and the host's controllers with their versions (``{"memory": 1, "hugetlb": 2, ...}``),
and returns the ordered :class:`Write` list. Translation is **per controller**: on a
hybrid host a controller in the cgroup2 ``unified`` hierarchy (hugetlb here) gets v2
files while the others get v1 files.

How it is split: one module per section of LinuxResources, named after it, because
that is how a reader asks ("what becomes of ``blockIO.weight``?") and because the v1
and v2 rules of one controller depend on each other (the same field, the same checks,
a conversion between them), so they stay side by side rather than in a v1 and a v2 file:

- :mod:`.memory` (``memory``), :mod:`.cpu` (``cpu``: the cpu and cpuset controllers),
  :mod:`.pids`, :mod:`.blockio` (``blockIO``: v1 ``blkio``, v2 ``io``), :mod:`.hugetlb`
  (``hugepageLimits``), :mod:`.network` (``net_cls``, ``net_prio``), :mod:`.rdma`, and
  :mod:`.unified` (raw cgroup v2 keys);
- :mod:`.write`: what they all produce and share: :class:`Write`, the collector, the
  controller names (v2 names here: ``io``, not ``blkio``; :data:`V1_NAMES` maps the few
  that differ);
- :mod:`.convert`: runc's v1 -> v2 value conversions (cpu shares -> weight, memory+swap
  -> swap, blkio weight -> io weight), shared by the sections and tested on their own.

This module holds the order in which the sections are written, and imports a section's
module only when the resources have that section (`create` pays for the two or three a
config sets, not for all eight). The kernel checks each write against the current
values, so order matters within a section too (each module says how); across sections
``unified`` keys come last: they override what the typed fields wrote (crun, runc).

A setting this host cannot honour is an error, never dropped: a missing controller
here, a missing file in :func:`hutch.cgroups.limits.set_limits`.

Imports: ``hutch.errors`` only (on the create path).
"""

from __future__ import annotations

from hutch.cgroups.translate.convert import shares_to_weight, swap_v2, weight_to_io
from hutch.cgroups.translate.write import CORE, FROM_V1, V1_NAMES, Out, Write, kernel_name, versions_from

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    #: A section's translation: adds its writes to the collector.
    Translation = Callable[[Out, Mapping[str, object], Mapping[str, str]], None]

__all__ = [
    "CORE",
    "FROM_V1",
    "V1_NAMES",
    "Write",
    "kernel_name",
    "shares_to_weight",
    "swap_v2",
    "translate",
    "versions_from",
    "weight_to_io",
]

#: LinuxResources sections in the order they are written (see :func:`_translation`).
SECTIONS = ("memory", "pids", "cpu", "blockIO", "hugepageLimits", "network", "rdma", "unified")


def translate(
    res: Mapping[str, object],
    versions: Mapping[str, int],
    current: Mapping[str, str] | None = None,
    where: str = "linux.resources",
) -> list[Write]:
    """The writes that apply ``res`` (checked LinuxResources) on a host with ``versions``.

    ``current`` holds values read from the container's cgroup where the order or a
    value depends on them: ``"memory.limit_in_bytes"`` (v1) and ``"cpu.max"`` (v2).
    ``where`` prefixes field names in errors and in :attr:`Write.field`.
    ``devices`` are not translated here. Raises CgroupError for what the host lacks.
    """
    out = Out(versions, where)
    cur = current or {}
    for section in SECTIONS:
        if section in res and res[section] is not None:
            _translation(section)(out, res, cur)
    return out.writes


def _translation(section: str) -> Translation:
    """The module that translates ``section``, imported when a config first has it:
    `create` pays for the sections it uses, not for all eight."""
    if section == "memory":
        from hutch.cgroups.translate.memory import translate as memory

        return memory
    if section == "pids":
        from hutch.cgroups.translate.pids import translate as pids

        return pids
    if section == "cpu":
        from hutch.cgroups.translate.cpu import translate as cpu

        return cpu
    if section == "blockIO":
        from hutch.cgroups.translate.blockio import translate as blockio

        return blockio
    if section == "hugepageLimits":
        from hutch.cgroups.translate.hugetlb import translate as hugetlb

        return hugetlb
    if section == "network":
        from hutch.cgroups.translate.network import translate as network

        return network
    if section == "rdma":
        from hutch.cgroups.translate.rdma import translate as rdma

        return rdma
    if section == "unified":
        from hutch.cgroups.translate.unified import translate as unified

        return unified
    raise ValueError(f"no translation for linux.resources.{section}")
