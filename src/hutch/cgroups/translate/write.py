"""What every section's translation produces and shares: :class:`Write`, the collector
:class:`Out`, and the controller names of cgroup v1 and v2.

Imports: ``hutch.errors`` only (on the create path).
"""

from __future__ import annotations

from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

#: Controllers whose cgroup v1 name differs from the v2 one.
V1_NAMES = {"io": "blkio"}
#: The reverse: a v1 hierarchy's controller -> the name used here.
FROM_V1 = {"blkio": "io"}
#: The pseudo-controller of core cgroup2 files (``cgroup.max.depth``); present with any cgroup2 hierarchy.
CORE = "cgroup"


class Write:
    """One control-file write.

    ``choices`` are ``(file, value)`` alternatives: the first whose file exists is
    written (``blkio.weight`` or ``blkio.bfq.weight``...). ``optional``: skip it when
    no file exists (a setting runc implies, not one the user asked for). ``retry``:
    on EINVAL, try again after the controller's other writes. ``verify``: read it
    back and fail if the kernel kept it unlimited (kernel memory on Linux >= 6.1).
    ``hint`` says why a file may be missing.
    """

    __slots__ = ("choices", "controller", "field", "hint", "optional", "retry", "verify", "version")

    def __init__(
        self,
        version: int,
        controller: str,
        field: str,
        choices: list[tuple[str, str]],
        *,
        optional: bool = False,
        retry: bool = False,
        verify: bool = False,
        hint: str = "",
    ) -> None:
        self.version = version
        self.controller = controller
        self.field = field
        self.choices = choices
        self.optional = optional
        self.retry = retry
        self.verify = verify
        self.hint = hint

    @property
    def file(self) -> str:
        return self.choices[0][0]

    @property
    def value(self) -> str:
        return self.choices[0][1]

    def key(self) -> tuple[int, str, str, str]:
        """(version, controller, first file, its value): what tests compare."""
        return (self.version, self.controller, self.file, self.value)

    def __repr__(self) -> str:
        return f"Write(v{self.version} {self.controller} {self.choices!r} for {self.field})"


def versions_from(v1: list[str], v2: list[str]) -> dict[str, int]:
    """The ``versions`` argument of :func:`hutch.cgroups.translate.translate`: v1 controller
    names (``blkio``...) and the controllers of a cgroup2 hierarchy (its ``cgroup.controllers``)."""
    out = {FROM_V1.get(c, c): 1 for c in v1}
    for c in v2:
        out.setdefault(c, 2)
    return out


def kernel_name(controller: str, version: int) -> str:
    return V1_NAMES.get(controller, controller) if version == 1 else controller


# ---- small accessors: the resources are checked, these only narrow types -------------


def section(res: Mapping[str, object], name: str) -> dict[str, object]:
    v = res.get(name)
    return v if isinstance(v, dict) else {}


def get_int(d: Mapping[str, object], name: str, default: int = 0) -> int:
    v = d.get(name)
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def get_opt_int(d: Mapping[str, object], name: str) -> int | None:
    v = d.get(name)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def entries(v: object) -> list[dict[str, object]]:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


class Out:
    """Collects writes; knows the host's versions and names fields for errors."""

    def __init__(self, versions: Mapping[str, int], where: str) -> None:
        self.versions = versions
        self.where = where
        self.writes: list[Write] = []

    def field(self, path: str) -> str:
        return f"{self.where}.{path}" if self.where else path

    def version(self, controller: str, path: str) -> int:
        v = self.versions.get(controller)
        if v is None:
            names = kernel_name(controller, 1)
            if names != controller:
                names = f"{names} (v1) or {controller} (v2)"
            raise CgroupError(f"cgroup: {self.field(path)}: this host has no {names} cgroup controller")
        return v

    def refuse(self, path: str, why: str) -> CgroupError:
        return CgroupError(f"cgroup: {self.field(path)}: {why}")

    def add(self, version: int, controller: str, path: str, file: str, value: str, **kw: object) -> None:
        self.write(version, controller, path, [(file, value)], **kw)

    def write(
        self, version: int, controller: str, path: str, choices: list[tuple[str, str]], **kw: object
    ) -> None:
        self.writes.append(
            Write(
                version,
                kernel_name(controller, version),
                self.field(path),
                choices,
                optional=bool(kw.get("optional", False)),
                retry=bool(kw.get("retry", False)),
                verify=bool(kw.get("verify", False)),
                hint=str(kw.get("hint", "")),
            )
        )
