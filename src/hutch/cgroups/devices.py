"""The device cgroup: which device nodes a container may read, write or create.

``linux.resources.devices`` is an ordered list of rules, each ``allow`` or deny,
for a type (``a`` all, ``c`` char, ``b`` block), a major and minor (absent or -1:
any) and an access string (``r`` read, ``w`` write, ``m`` mknod). The rules mean what
the cgroup v1 ``devices`` controller makes of them when written in order to
``devices.allow``/``devices.deny``, and hutch computes that meaning once, here, as a
:class:`Ruleset` (the technique of runc's device emulator, written afresh):

- a rule of type ``a`` resets everything: deny-``a`` starts an *allow list* (nothing
  is allowed but the exceptions that follow), allow-``a`` a *deny list*;
- any other rule adds an exception to the list, or takes permissions away from an
  existing exception with the same type, major and minor.

Cgroup v1 silently ignores an attempt to take permissions out of a *wildcard*
exception (removing ``c 1:3 r`` from ``c *:* rwm`` does nothing): a rule that would
do so is refused here, so a container never holds access its config denies.

As runc does, every container gets :data:`DEFAULT_ALLOWED` after the config's rules
(mknod of any node, and the usual /dev nodes), so a container whose config says
nothing about devices still gets an allow list, never the host's full access. A
default with a path is dropped when ``linux.devices`` creates a node at that path
(the config's device takes its place).

The ruleset is then applied by the cgroup version's mechanism:
v1 writes the minimal transition from what ``devices.list`` shows now
(:meth:`Ruleset.transition`); v2 attaches an eBPF program
(:mod:`hutch.cgroups.devfilter`) built from :meth:`Ruleset.rules`.

Pure; imports nothing but hutch.errors.
"""

from __future__ import annotations

from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import TypedDict

    # (type "b" | "c", major (-1: any), minor (-1: any))
    Match = tuple[str, int, int]

    class Rule(TypedDict):
        """A rule in config.json's shape, normalized (every key present)."""

        allow: bool
        type: str  # "a" | "b" | "c"
        major: int  # -1: any
        minor: int
        access: str  # a subset of "rwm"

WILDCARD = -1
ACCESS = "rwm"

class DeviceRuleError(CgroupError):
    """Rule ``index`` of a list cannot be honoured; ``reason`` says why."""

    def __init__(self, where: str, index: int, reason: str) -> None:
        super().__init__(f"{where}[{index}]: {reason}")
        self.where, self.index, self.reason = where, index, reason


def rule(allow: bool, kind: str, major: int = WILDCARD, minor: int = WILDCARD, access: str = ACCESS) -> Rule:
    return {"allow": allow, "type": kind, "major": major, "minor": minor, "access": access}


#: Added after the config's rules, as runc does (libcontainer/specconv AllowedDevices):
#: (path or "", rule). mknod of anything (creating a node grants no access to it),
#: /dev/null, random, full, tty, zero, urandom, the pty multiplexer and slaves, and
#: /dev/net/tun (which runc keeps for compatibility).
DEFAULT_ALLOWED: tuple[tuple[str, Rule], ...] = (
    ("", rule(True, "c", access="m")),
    ("", rule(True, "b", access="m")),
    ("/dev/null", rule(True, "c", 1, 3)),
    ("/dev/random", rule(True, "c", 1, 8)),
    ("/dev/full", rule(True, "c", 1, 7)),
    ("/dev/tty", rule(True, "c", 5, 0)),
    ("/dev/zero", rule(True, "c", 1, 5)),
    ("/dev/urandom", rule(True, "c", 1, 9)),
    ("", rule(True, "c", 136)),  # /dev/pts/*
    ("", rule(True, "c", 5, 2)),  # /dev/ptmx
    ("", rule(True, "c", 10, 200)),  # /dev/net/tun
)


def container_rules(spec_rules: Sequence[Rule], device_paths: Iterable[str]) -> list[Rule]:
    """The config's rules followed by the defaults not replaced by ``linux.devices``."""
    taken = set(device_paths)
    return [*spec_rules, *(r for path, r in DEFAULT_ALLOWED if not path or path not in taken)]


def _access(a: str) -> str:
    """``a``'s permissions in canonical order (``"mr"`` -> ``"rm"``)."""
    return "".join(p for p in ACCESS if p in a)


def rule_string(kind: str, major: int, minor: int, access: str) -> str:
    """One line as devices.allow/devices.deny/devices.list spell it: ``c 1:3 rwm``."""
    if kind == "a":
        return "a *:* rwm"
    maj = "*" if major == WILDCARD else str(major)
    mnr = "*" if minor == WILDCARD else str(minor)
    return f"{kind} {maj}:{mnr} {access}"


class Ruleset:
    """What a sequence of device rules amounts to: a default and its exceptions.

    ``default_allow`` False is an allow list (the ``exceptions`` are what is
    allowed); True a deny list (the ``exceptions`` are denied).
    """

    __slots__ = ("default_allow", "exceptions")
    __hash__ = None  # type: ignore[assignment]  # mutable

    def __init__(self, default_allow: bool = False, exceptions: dict[Match, str] | None = None) -> None:
        self.default_allow = default_allow
        self.exceptions: dict[Match, str] = dict(exceptions or {})

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Ruleset)
            and self.default_allow == other.default_allow
            and self.exceptions == other.exceptions
        )

    def __repr__(self) -> str:
        mode = "deny list" if self.default_allow else "allow list"
        return f"Ruleset({mode}: {', '.join(rule_string(*m, a) for m, a in self._sorted())})"

    @classmethod
    def of(cls, rules: Iterable[Rule], where: str = "linux.resources.devices") -> Ruleset:
        """The ruleset that ``rules`` (normalized dicts) make, applied in order from an
        allow list with no exceptions (where cgroup v1's ``a *:* rwm`` deny leaves one).
        DeviceRuleError names the rule (``where[i]``) that cannot be honoured."""
        rs = cls()
        for i, r in enumerate(rules):
            try:
                rs.apply(r["allow"], r["type"], r["major"], r["minor"], r["access"])
            except CgroupError as err:
                raise DeviceRuleError(where, i, str(err)) from None
        return rs

    @classmethod
    def from_list(cls, text: str) -> Ruleset:
        """What a v1 ``devices.list`` shows. A deny list cannot be read back (the kernel
        shows only ``a *:* rwm``), so one shows as "allow all": a deny list, no exceptions."""
        rs = cls()
        for line in text.splitlines():
            fields = line.replace(":", " ").split()
            if not fields:
                continue
            if len(fields) != 4 or fields[0] not in ("a", "b", "c"):
                raise CgroupError(f"cannot parse devices.list line {line!r}")
            kind, maj, mnr, access = fields
            if kind == "a":
                return cls(default_allow=True)
            rs.apply(True, kind, _num(maj), _num(mnr), access)
        return rs

    def apply(self, allow: bool, kind: str, major: int, minor: int, access: str) -> None:
        """One rule, as the kernel applies a write to devices.allow (``allow``) or devices.deny."""
        if kind == "a":
            self.default_allow, self.exceptions = allow, {}
            return
        if kind not in ("b", "c"):
            raise CgroupError(f"device type {kind!r} is not one of a, b, c")
        access = _access(access)
        if not access:
            return
        match = (kind, major, minor)
        if allow != self.default_allow:  # an exception to the default: add it
            self.exceptions[match] = _access(self.exceptions.get(match, "") + access)
            return
        # a rule like the default: take those permissions out of the exception
        for wider in ((kind, WILDCARD, minor), (kind, major, WILDCARD), (kind, WILDCARD, WILDCARD)):
            if wider != match and set(self.exceptions.get(wider, "")) & set(access):
                verb, what = ("allow", "denied") if allow else ("deny", "allowed")
                raise CgroupError(
                    f"cannot {verb} {rule_string(kind, major, minor, access)}: the earlier "
                    f"{rule_string(*wider, self.exceptions[wider])} is {what} as a wildcard, and "
                    f"the device cgroup cannot punch a hole in a wildcard rule"
                )
        left = _access("".join(p for p in self.exceptions.get(match, "") if p not in access))
        if left:
            self.exceptions[match] = left
        else:
            self.exceptions.pop(match, None)

    def allows(self, kind: str, major: int, minor: int, access: str) -> bool:
        """Whether a process may do ``access`` (one of r, w, m) on device ``kind major:minor``:
        what the kernel's check computes, for tests of the rules and of the eBPF program."""
        for m, perms in self.exceptions.items():
            if m[0] == kind and m[1] in (WILDCARD, major) and m[2] in (WILDCARD, minor) and access in perms:
                return not self.default_allow
        return self.default_allow

    def _sorted(self) -> list[tuple[Match, str]]:
        return sorted(self.exceptions.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))

    def rules(self) -> list[tuple[bool, str, int, int, str]]:
        """The exceptions as (allow, type, major, minor, access), sorted: each one's
        ``allow`` is the opposite of :attr:`default_allow`."""
        return [(not self.default_allow, *m, a) for m, a in self._sorted()]

    def transition(self, target: Ruleset) -> list[tuple[str, str]]:
        """The writes that turn a v1 cgroup showing ``self`` into ``target``:
        ``[(file, line)]`` with file ``devices.allow`` or ``devices.deny``.

        A change of default (or a deny list now, whose exceptions cannot be read)
        starts with the disruptive ``a`` rule; otherwise only the differences are
        written, so a cgroup already set is not disturbed.
        """
        allow_file = ("devices.deny", "devices.allow")
        out: list[tuple[str, str]] = []
        old = self.exceptions
        if self.default_allow or self.default_allow != target.default_allow:
            out.append((allow_file[target.default_allow], "a *:* rwm"))
            old = {}
        for m, perms in sorted(old.items()):
            dropped = _access("".join(p for p in perms if p not in target.exceptions.get(m, "")))
            if dropped:
                out.append((allow_file[target.default_allow], rule_string(*m, dropped)))
        for m, perms in target._sorted():
            gained = _access("".join(p for p in perms if p not in old.get(m, "")))
            if gained:
                out.append((allow_file[not target.default_allow], rule_string(*m, gained)))
        return out


def _num(s: str) -> int:
    if s == "*":
        return WILDCARD
    if not s.isdigit():
        raise CgroupError(f"cannot parse device number {s!r} in devices.list")
    return int(s)
