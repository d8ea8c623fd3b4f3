"""linux.resources.blockIO -> the v1 ``blkio`` or v2 ``io`` controller's files.

``weight`` -> ``blkio.weight`` or ``blkio.bfq.weight`` (v1), ``io.bfq.weight`` as is or
else ``io.weight`` converted (v2, :func:`~hutch.cgroups.translate.convert.weight_to_io`);
throttles -> one ``blkio.throttle.*`` line (v1) or ``io.max`` line (v2: ``rbps=``,
``wbps=``, ``riops=``, ``wiops=``; a rate of 0, which removes a v1 rule, is ``max``)
per device. Leaf weights are v1 only.
"""

from __future__ import annotations

from hutch.cgroups.translate.convert import weight_to_io
from hutch.cgroups.translate.write import entries, get_int, section

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out

_THROTTLES = (
    ("throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"),
    ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"),
    ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"),
    ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"),
)
_NO_WEIGHT = "no proportional weight files (the BFQ I/O scheduler is not available)"
_NO_LEAF = "leaf weights need the CFQ I/O scheduler, removed in Linux 5.0"


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    b = section(res, "blockIO")
    given = [k for k in ("weight", "leafWeight", "weightDevice", *(t[0] for t in _THROTTLES)) if b.get(k)]
    if not given:
        return
    v = out.version("io", f"blockIO.{given[0]}")
    weight, leaf = get_int(b, "weight"), get_int(b, "leafWeight")
    if v == 2 and leaf:
        raise out.refuse("blockIO.leafWeight", "cgroup v2 has no leaf weights")
    if weight:
        if v == 1:
            choices = [("blkio.weight", str(weight)), ("blkio.bfq.weight", str(weight))]
        else:
            choices = [("io.bfq.weight", str(weight)), ("io.weight", str(weight_to_io(weight)))]
        out.write(v, "io", "blockIO.weight", choices, hint=_NO_WEIGHT)
    if leaf:
        out.add(1, "io", "blockIO.leafWeight", "blkio.leaf_weight", str(leaf), hint=_NO_LEAF)
    for i, wd in enumerate(entries(b.get("weightDevice"))):
        dev = f"{get_int(wd, 'major')}:{get_int(wd, 'minor')}"
        path = f"blockIO.weightDevice[{i}]"
        w, lw = get_int(wd, "weight"), get_int(wd, "leafWeight")
        if v == 2 and lw:
            raise out.refuse(f"{path}.leafWeight", "cgroup v2 has no leaf weights")
        if w:
            if v == 1:
                choices = [("blkio.weight_device", f"{dev} {w}"), ("blkio.bfq.weight_device", f"{dev} {w}")]
            else:
                choices = [("io.bfq.weight", f"{dev} {w}"), ("io.weight", f"{dev} {weight_to_io(w)}")]
            out.write(v, "io", f"{path}.weight", choices, hint=_NO_WEIGHT)
        if lw:
            out.add(1, "io", f"{path}.leafWeight", "blkio.leaf_weight_device", f"{dev} {lw}", hint=_NO_LEAF)
    for key, v1_file, v2_key in _THROTTLES:
        for i, td in enumerate(entries(b.get(key))):
            dev = f"{get_int(td, 'major')}:{get_int(td, 'minor')}"
            rate = get_int(td, "rate")
            if v == 1:
                out.add(1, "io", f"blockIO.{key}[{i}]", v1_file, f"{dev} {rate}")
            else:
                out.add(2, "io", f"blockIO.{key}[{i}]", "io.max", f"{dev} {v2_key}={rate or 'max'}")
