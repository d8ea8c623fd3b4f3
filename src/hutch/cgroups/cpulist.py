"""The kernel's cpu and memory-node list syntax (``cpuset.cpus``, ``cpuset.mems``): pure.

Used to check ``linux.resources.cpu.cpus``/``mems`` (:mod:`hutch.specconv.resources`) and to
compare them with what a parent cgroup offers (:mod:`hutch.cgroups.manager`).
"""

from __future__ import annotations


def parse_list(text: str) -> list[int]:
    """The numbers of a cpu/node list (``0-3,8,10-15:2/4``), sorted; ValueError if malformed.

    Kernel syntax (lib/bitmap.c bitmap_parselist): comma-separated ``N`` or ``N-M``
    items, a range optionally strided as ``N-M:used/group``; at most a few thousand ids.
    """
    out: set[int] = set()
    for item in text.strip().split(","):
        lo_s, dash, rest = item.partition("-")
        hi_s, colon, stride = rest.partition(":")
        lo = _decimal(lo_s, item)
        hi = _decimal(hi_s, item) if dash else lo
        if dash and not hi_s:
            raise ValueError(f"range {item!r} has no end")
        if colon and not dash:
            raise ValueError(f"{item!r}: a stride needs a range")
        if hi < lo:
            raise ValueError(f"range {item!r} runs backwards")
        if hi >= 1 << 16:
            raise ValueError(f"{hi} is too large")
        used, group = 1, 1
        if colon:
            used_s, slash, group_s = stride.partition("/")
            if not slash:
                raise ValueError(f"{item!r}: a stride is used/group")
            used, group = _decimal(used_s, item), _decimal(group_s, item)
            if not 0 < used <= group:
                raise ValueError(f"{item!r}: bad stride {used}/{group}")
        for base in range(lo, hi + 1, group):
            out.update(n for n in range(base, min(base + used, hi + 1)))
    return sorted(out)


def _decimal(s: str, item: str) -> int:
    if not s or not s.isascii() or not s.isdigit():
        raise ValueError(f"{item!r} is not a number or a range")
    return int(s)
