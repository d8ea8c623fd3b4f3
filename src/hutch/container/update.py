"""`update`: change a container's cgroup limits while it runs (runc's semantics).

The request is a LinuxResources-shaped dict (camelCase, as config.json's
``linux.resources``), from ``--resources`` JSON or from the command-line flags. As in
runc, a zero (or empty string) for the values runc's update knows means "leave it as
it is", and ``devices`` are never updated (containerd sends them along).

Steps: merge the request into the container's current resources (kept in its
state.json), validate the whole result before any write, write the changed sections
(memory, cpu, pids, blockIO, ... each whole, so pairs such as quota/period or
memory/swap are written together), then record the result. If the kernel refuses a
write, the sections written so far are set back to their previous values.
"""

from __future__ import annotations

import copy
import os

from hutch.container.store import Store, status
from hutch.errors import CgroupError, HutchError, InvalidArgument, InvalidSpec, InvalidState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

#: The values runc's update reads, where 0 (or "") means "unchanged".
ZERO_MEANS_UNCHANGED: dict[str, tuple[str, ...]] = {
    "memory": ("limit", "reservation", "swap", "kernel", "kernelTCP"),
    "cpu": ("shares", "quota", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems"),
    "blockIO": ("weight",),
    "pids": ("limit",),
}
#: Sections that are objects, merged key by key; the rest are replaced whole.
_OBJECT_SECTIONS = ("memory", "cpu", "pids", "blockIO", "network", "rdma", "unified")


def normalize_request(request: object, source: str, warn: Callable[[str], None]) -> dict[str, Any]:
    """The changes a request asks for: runc's "zero is unchanged" applied, ``devices``
    and kernel memory dropped (runc ignores both; kernel memory with a warning)."""
    if not isinstance(request, dict):
        raise InvalidArgument(f"{source}: the resources must be a JSON object")
    out: dict[str, Any] = {}
    for section, asked in request.items():
        if section == "devices" or asked is None:
            continue
        if section in ZERO_MEANS_UNCHANGED and isinstance(asked, dict):
            unchanged = ZERO_MEANS_UNCHANGED[section]
            kept = {k: v for k, v in asked.items() if v is not None and not (k in unchanged and _is_zero(v))}
            if section == "memory" and ("kernel" in kept or "kernelTCP" in kept):
                warn("kernel memory settings are ignored and will be removed")
                kept = {k: v for k, v in kept.items() if k not in ("kernel", "kernelTCP")}
            if kept:
                out[section] = kept
        else:
            out[section] = asked
    return out


def _is_zero(v: object) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool) and v == 0) or v == ""


def merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``changes`` applied: object sections key by key, lists
    (``hugepageLimits``) by page size, anything else replaced. As in runc, lifting the
    memory limit (-1) without a word about swap lifts the memory+swap limit too."""
    merged = copy.deepcopy(current)
    for section, value in changes.items():
        old = merged.get(section)
        if section in _OBJECT_SECTIONS and isinstance(value, dict) and isinstance(old, dict):
            merged[section] = {**old, **copy.deepcopy(value)}
        elif section == "hugepageLimits" and isinstance(value, list) and isinstance(old, list):
            by_size = {h.get("pageSize"): h for h in old if isinstance(h, dict)}
            by_size.update({h.get("pageSize"): h for h in value if isinstance(h, dict)})
            merged[section] = [copy.deepcopy(h) for h in by_size.values()]
        else:
            merged[section] = copy.deepcopy(value)
    memory, asked = merged.get("memory"), changes.get("memory")
    if isinstance(asked, dict) and asked.get("limit") == -1 and "swap" not in asked \
            and isinstance(memory, dict) and memory.get("swap") not in (None, 0):
        memory["swap"] = -1  # runc: no memory limit takes the memory+swap limit with it
    return merged


def update(store: Store, cid: str, changes: dict[str, Any], names: Mapping[str, str] | None = None,
           ) -> dict[str, Any]:
    """Apply ``changes`` (from :func:`normalize_request`) to a container that is not
    stopped; returns its new resources. ``names`` maps a field's path
    (``resources.memory.limit``) to what the user typed for it (``--memory``)."""
    from hutch.cgroups import Manager
    from hutch.specconv.resources import check

    lock = store.lock(cid)
    try:
        state = store.load(cid)
        st = status(store.dir(cid), state)
        if st in ("stopped", "creating"):
            raise InvalidState("update", cid, st, "created, running or paused")
        if not state.get("cgroup"):
            raise CgroupError(f"container {cid!r} has no cgroup")
        current = current_resources(store, cid, state)
        try:
            wanted = check(merge(current, changes), "resources")
        except InvalidSpec as err:
            raise InvalidArgument(_explain(err, names or {})) from None
        sections = {s: wanted[s] for s in wanted if s in changes}
        if sections:
            mgr = Manager.from_record(state["cgroup"])
            try:
                mgr.set(sections, where="resources")
            except HutchError as err:
                _restore(mgr, current, sections, err)
                raise
        state["resources"] = wanted
        store.save(cid, state)
        return wanted
    finally:
        os.close(lock)


def current_resources(store: Store, cid: str, state: dict[str, Any]) -> dict[str, Any]:
    """What the container's limits are: as the last update left them (state.json), or
    as create set them (the plan's checked ``linux.resources``)."""
    if isinstance(state.get("resources"), dict):
        return dict(state["resources"])
    from hutch import fastjson

    try:
        with open(os.path.join(store.dir(cid), "plan.json"), "rb") as f:
            plan = fastjson.loads(f.read())
    except FileNotFoundError:
        return {}
    res = plan.get("resources") if isinstance(plan, dict) else None
    return dict(res) if isinstance(res, dict) else {}


def _explain(err: InvalidSpec, names: Mapping[str, str]) -> str:
    flag = names.get(err.jsonpath)
    if flag is None:
        return f"update: {err.detail}"
    return f"invalid value for {flag}: {err.detail.removesuffix(f' at {err.jsonpath}')}"


def _restore(mgr: Any, current: dict[str, Any], written: dict[str, Any], err: HutchError) -> None:
    """Best effort: put back the previous values of the sections the update touched."""
    back = {s: current[s] for s in written if s in current}
    if not back:
        return
    try:
        mgr.set(back, where="resources")
    except HutchError as again:
        err.add_note(f"restoring the previous values also failed: {again}")
