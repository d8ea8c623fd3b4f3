"""``linux.seccomp`` -> a classic-BPF program, compiled in the runtime before it forks.

The container's init only loads the bytes (seccomp(2), :mod:`hutch._sys.seccomp`), as
late as it can: right before it reports READY when ``noNewPrivileges`` is set, else
before it drops its capabilities (installing a filter without no_new_privs needs
CAP_SYS_ADMIN). The program is built with libseccomp, as runc and crun do, with
runc's rules for what a config means:

- ``SCMP_ACT_KILL`` is KILL_THREAD; ``SCMP_ACT_ERRNO`` and ``SCMP_ACT_TRACE`` return
  ``errnoRet`` (``defaultErrnoRet`` for the default action), EPERM when absent;
- a rule whose action is the default action is left out (libseccomp refuses it);
- a syscall's ``args`` all have to match (AND), except when two of them test the same
  argument: then each one is a rule of its own (OR), as runc does;
- a syscall name this libseccomp does not know is skipped, with one warning listing them
  all (profiles name syscalls newer than the library); an unknown architecture is skipped
  the same way (its syscalls then meet the filter's bad-architecture action, a kill);
- ``SCMP_ACT_NOTIFY`` needs ``listenerPath``, cannot be the default action and cannot
  be used for ``write`` (the agent would deadlock on its own output); the filter is then
  loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER and the listener fd goes to the agent at
  ``listenerPath`` (:mod:`hutch.container.seccomp_notify`).
- unless the default action lets a syscall through (ALLOW, LOG, TRACE) or already is
  ERRNO(ENOSYS), the program starts with runc's -ENOSYS stub (:mod:`hutch.seccomp.enosys`):
  a syscall numbered above the largest one the profile names, for each architecture
  listed, gets ENOSYS, so that glibc falls back to an older one (runc patchbpf). Unlike
  runc, an architecture runc cannot map (riscv64...) gets the stub too instead of an error;
- ``SECCOMP_FILTER_FLAG_TSYNC`` is accepted and has nothing to do: the init has one
  thread. Unlike runc, hutch does not add SPEC_ALLOW when ``flags`` is absent: the
  kernel's speculative-store-bypass mitigation stays on unless the config asks.

Plain builtins in, a :data:`SeccompPlan` dict out; errors are InvalidSpec naming the
JSON path.
"""

from __future__ import annotations

import errno as _errno
import os

from hutch._sys import libseccomp as L
from hutch._sys import seccomp as K
from hutch.errors import InvalidSpec
from hutch.seccomp import enosys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypedDict

    class SeccompPlan(TypedDict):
        program: str  # the BPF program, hex
        flags: int  # SECCOMP_FILTER_FLAG_* for seccomp(2)
        listener_path: str  # where the notify listener fd goes ("" without SCMP_ACT_NOTIFY)
        listener_metadata: str


_ACTIONS = {
    "SCMP_ACT_KILL": L.ACT_KILL_THREAD,
    "SCMP_ACT_KILL_THREAD": L.ACT_KILL_THREAD,
    "SCMP_ACT_KILL_PROCESS": L.ACT_KILL_PROCESS,
    "SCMP_ACT_TRAP": L.ACT_TRAP,
    "SCMP_ACT_ERRNO": L.ACT_ERRNO,
    "SCMP_ACT_TRACE": L.ACT_TRACE,
    "SCMP_ACT_ALLOW": L.ACT_ALLOW,
    "SCMP_ACT_LOG": L.ACT_LOG,
    "SCMP_ACT_NOTIFY": L.ACT_NOTIFY,
}
_WITH_ERRNO = {L.ACT_ERRNO, L.ACT_TRACE}
_OPS = {
    "SCMP_CMP_NE": L.CMP_NE,
    "SCMP_CMP_LT": L.CMP_LT,
    "SCMP_CMP_LE": L.CMP_LE,
    "SCMP_CMP_EQ": L.CMP_EQ,
    "SCMP_CMP_GE": L.CMP_GE,
    "SCMP_CMP_GT": L.CMP_GT,
    "SCMP_CMP_MASKED_EQ": L.CMP_MASKED_EQ,
}
_FLAGS = {
    "SECCOMP_FILTER_FLAG_TSYNC": 0,
    "SECCOMP_FILTER_FLAG_LOG": K.FLAG_LOG,
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": K.FLAG_SPEC_ALLOW,
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": K.FLAG_WAIT_KILLABLE_RECV,
}
#: The kernel's largest errno (MAX_ERRNO): larger values are not errors to userspace.
MAX_ERRNO = 4095
#: Above this many rules, ask libseccomp for a binary tree instead of a linear list.
_TREE_ABOVE = 32


def _items(obj: Mapping[str, object], key: str) -> list[object]:
    v = obj.get(key) or []
    assert isinstance(v, list)  # the decoder checked the shape
    return v


def _action(name: object, errno_ret: object, path: str) -> int:
    act = _ACTIONS.get(str(name))
    if act is None:
        raise InvalidSpec(f"unknown seccomp action {name!r}", path)
    if act in _WITH_ERRNO:
        ret = _errno.EPERM if errno_ret is None else errno_ret
        if not isinstance(ret, int) or isinstance(ret, bool) or not 0 <= ret <= MAX_ERRNO:
            raise InvalidSpec(f"errno {ret!r} is out of range (0..{MAX_ERRNO})", path)
        return act | ret
    return act


def _arg_rules(args: list[object], path: str) -> list[list[tuple[int, int, int, int]]]:
    """The argument conditions of one syscall entry, as the rules to add: one rule with
    all of them, or one rule each when an argument is tested twice (runc's OR)."""
    conds: list[tuple[int, int, int, int]] = []
    for i, a in enumerate(args):
        where = f"{path}.args[{i}]"
        assert isinstance(a, dict)
        index, op = a.get("index"), _OPS.get(str(a.get("op")))
        if not isinstance(index, int) or not 0 <= index < 6:
            raise InvalidSpec(f"argument index {index!r} is not 0..5", f"{where}.index")
        if op is None:
            raise InvalidSpec(f"unknown seccomp operator {a.get('op')!r}", f"{where}.op")
        value, two = a.get("value", 0), a.get("valueTwo", 0)
        assert isinstance(value, int) and isinstance(two, int)  # the decoder checked them
        conds.append((index, op, value, two))
    if not conds:
        return [[]]
    indexes = [c[0] for c in conds]
    if len(set(indexes)) != len(indexes):
        return [[c] for c in conds]
    return [conds]


#: compiled programs by profile, for a process that creates many containers (the engine's
#: supervisor): libseccomp takes ~20 ms for docker's default profile, a lookup ~0.3 ms
_CACHE: dict[str, tuple[SeccompPlan | None, tuple[str, ...]]] = {}
_CACHE_SIZE = 8
#: compiled programs kept on disk (in the runtime's state root), at most
_DISK_ENTRIES = 64


def compile_cached(sec: Mapping[str, object], warn: Callable[[str], None],
                   cache_dir: str = "") -> SeccompPlan | None:
    """:func:`compile_filter`, remembered by the profile's canonical JSON: the same profile
    again gets the same program (a copy) and the same warnings, without libseccomp. In
    memory for this process, and with ``cache_dir`` on disk for the next ones (each
    `hutch-runtime create` is a process of its own): one file per profile, named by the
    sha256 of the profile, libseccomp's version and this compiler's source files, holding
    the profile itself to compare (a collision or a stale file is a miss, never a wrong
    program). ``cache_dir`` must be root's alone (the runtime's state root): what is read
    there becomes the container's filter. Errors are not remembered (raised each time)."""
    from hutch.fastjson import dumps_sorted

    key = dumps_sorted(sec)
    hit = _CACHE.get(key)
    if hit is None and cache_dir:
        hit = _disk_load(cache_dir, key)
    if hit is None:
        said: list[str] = []
        hit = (compile_filter(sec, said.append), tuple(said))
        if cache_dir:
            _disk_save(cache_dir, key, hit)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]
        _CACHE[key] = hit
    plan, warnings = hit
    for msg in warnings:
        warn(msg)
    return None if plan is None else {**plan}


def _disk_name(cache_dir: str, key: str) -> str:
    try:
        import _sha256  # type: ignore[import-not-found]  # (hashlib's OpenSSL: ~4 ms to import)

        digest: Any = _sha256.sha256()
    except ImportError:  # pragma: no cover - CPython builds have it
        import hashlib

        digest = hashlib.sha256()
    stamp = [".".join(map(str, L.version()))]
    for mod in (__file__, enosys.__file__ or ""):
        st = os.stat(mod)
        stamp.append(f"{st.st_size}:{st.st_mtime_ns}")
    digest.update(("\0".join(stamp) + "\0" + key).encode())
    return os.path.join(cache_dir, f"{digest.hexdigest()}.json")


def _disk_load(cache_dir: str, key: str) -> tuple[SeccompPlan | None, tuple[str, ...]] | None:
    from hutch.fastjson import loads

    try:
        with open(_disk_name(cache_dir, key), "rb") as f:
            doc: Any = loads(f.read())
        if doc["profile"] != key:
            return None
        return doc["plan"], tuple(str(w) for w in doc["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _disk_save(cache_dir: str, key: str, hit: tuple[SeccompPlan | None, tuple[str, ...]]) -> None:
    """Keep ``hit`` for the next process; a cache that cannot be written is no error."""
    from hutch.fastjson import dumps
    from hutch.util import atomic

    try:
        os.makedirs(cache_dir, 0o700, exist_ok=True)
        names = os.listdir(cache_dir)
        if len(names) >= _DISK_ENTRIES:  # the oldest go
            paths = [os.path.join(cache_dir, n) for n in names]
            paths.sort(key=lambda p: os.stat(p).st_mtime_ns)
            for old in paths[:len(paths) - _DISK_ENTRIES + 1]:
                os.unlink(old)
        doc = {"profile": key, "plan": hit[0], "warnings": list(hit[1])}
        atomic.write(_disk_name(cache_dir, key), dumps(doc).encode(), 0o600)
    except OSError:
        pass


def compile_filter(sec: Mapping[str, object], warn: Callable[[str], None],
                   where: str = "$.linux.seccomp") -> SeccompPlan | None:
    """Compile ``linux.seccomp`` (JSON shape) into a plan; None when it asks for nothing
    (no default action and no syscalls, as runc reads it)."""
    syscalls = _items(sec, "syscalls")
    if not sec.get("defaultAction") and not syscalls:
        return None
    default = _action(sec.get("defaultAction"), sec.get("defaultErrnoRet"), f"{where}.defaultAction")
    if default == L.ACT_NOTIFY:
        raise InvalidSpec("SCMP_ACT_NOTIFY cannot be the default action", f"{where}.defaultAction")
    flags = 0
    for i, name in enumerate(_items(sec, "flags")):
        if str(name) not in _FLAGS:
            raise InvalidSpec(f"unknown seccomp flag {name!r}", f"{where}.flags[{i}]")
        flags |= _FLAGS[str(name)]
    try:
        filt = L.Filter(default)
    except OSError as err:
        raise InvalidSpec(f"cannot build a seccomp filter: {err.strerror}", where) from err
    unknown: list[str] = []
    tokens: list[int] = []
    notify = False
    with filt:
        for i, arch in enumerate(_items(sec, "architectures")):
            token = L.arch_token(str(arch).removeprefix("SCMP_ARCH_").lower())
            if not token:
                unknown.append(str(arch))
                continue
            tokens.append(token)
            try:
                filt.add_arch(token)
            except OSError as err:
                raise InvalidSpec(f"cannot add architecture {arch}: {err.strerror}",
                                  f"{where}.architectures[{i}]") from err
        if len(syscalls) > _TREE_ABOVE:
            try:
                filt.optimize(2)
            except OSError:
                pass  # libseccomp < 2.5: a linear filter, just slower
        for i, call in enumerate(syscalls):
            path = f"{where}.syscalls[{i}]"
            assert isinstance(call, dict)
            act = _action(call.get("action"), call.get("errnoRet"), f"{path}.action")
            names = _items(call, "names")
            if act == L.ACT_NOTIFY:
                notify = True
                if "write" in names:
                    raise InvalidSpec("SCMP_ACT_NOTIFY cannot be used for the write syscall", f"{path}.names")
            if act == default:
                continue
            rules = _arg_rules(_items(call, "args"), path)
            for name in names:
                nr = L.syscall_number(str(name))
                if nr == L.NR_ERROR:
                    unknown.append(str(name))
                    continue
                for conds in rules:
                    try:
                        filt.add_rule(act, nr, conds)
                    except OSError as err:
                        raise InvalidSpec(f"cannot add the rule for syscall {name!r}: {err.strerror}",
                                          path) from err
        try:
            program = filt.export_bpf()
        except OSError as err:
            raise InvalidSpec(f"cannot export the seccomp filter: {err.strerror}", where) from err
    if _wants_enosys_stub(default):
        named = [str(n) for call in syscalls if isinstance(call, dict) for n in _items(call, "names")]
        program = enosys.assemble(enosys.stub(largest_syscalls(tokens, named))) + program
    if unknown:
        shown = ", ".join(sorted(set(unknown)))
        release = ".".join(map(str, L.version()))
        warn(f"linux.seccomp: skipping what libseccomp {release} does not know: {shown}")
    listener = str(sec.get("listenerPath") or "")
    if notify:
        if not listener:
            raise InvalidSpec("SCMP_ACT_NOTIFY is used but listenerPath is not set", f"{where}.listenerPath")
        flags |= K.FLAG_NEW_LISTENER
    return {
        "program": program.hex(),
        "flags": flags,
        "listener_path": listener if notify else "",
        "listener_metadata": str(sec.get("listenerMetadata") or ""),
    }


def _wants_enosys_stub(default: int) -> bool:
    """runc's rule: the stub goes in unless the default action lets syscalls through
    (ALLOW, LOG, and TRACE: a tracer handles new syscalls itself) or is ERRNO(ENOSYS)."""
    permissive = default in (L.ACT_ALLOW, L.ACT_LOG) or default & 0xFFFF0000 == L.ACT_TRACE
    return not permissive and default != L.ACT_ERRNO | _errno.ENOSYS


def largest_syscalls(tokens: list[int], names: list[str]) -> dict[int, int]:
    """For each architecture token, in order, the largest number among ``names`` there;
    an architecture none of them is known on is left out (runc warns of it)."""
    largest: dict[int, int] = {}
    for token in dict.fromkeys(tokens):
        top = max((L.syscall_number_arch(token, n) for n in set(names)), default=0)
        if top > 0:  # NR_ERROR and libseccomp's negative pseudo-numbers never count
            largest[token] = top
    return largest


#: runtime-spec's architecture names, as libseccomp spells them after SCMP_ARCH_ (lower case)
ARCHS = ("X86", "X86_64", "X32", "ARM", "AARCH64", "LOONGARCH64", "M68K", "MIPS", "MIPS64",
         "MIPS64N32", "MIPSEL", "MIPSEL64", "MIPSEL64N32", "PPC", "PPC64", "PPC64LE", "S390",
         "S390X", "SH", "SHEB", "PARISC", "PARISC64", "RISCV64")


def features() -> dict[str, object]:
    """features.json's linux.seccomp: what this host's libseccomp and hutch support."""
    try:
        archs = [f"SCMP_ARCH_{a}" for a in ARCHS if L.arch_token(a.lower())]
    except OSError:
        return {"enabled": False}
    flags = sorted(_FLAGS)
    return {"enabled": True, "actions": sorted(_ACTIONS), "operators": sorted(_OPS), "archs": archs,
            "knownFlags": flags, "supportedFlags": flags}
