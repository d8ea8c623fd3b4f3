"""Image references: ``NAME[:TAG]`` as docker spells them (pure).

NAME is one or more ``/``-separated components of lowercase letters, digits and
separators (``.``, ``_``, ``__``, ``-``), optionally led by a registry host (with a port);
TAG is up to 128 of ``[A-Za-z0-9_.-]``, not starting with ``.`` or ``-``; it defaults to
``latest``. Names are kept as the user wrote them (``busybox``, ``localhost/x``): hutch has
no registry to expand them against.
"""

from __future__ import annotations

from hutch.errors import InvalidArgument

_COMPONENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
_TAG_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _component_ok(c: str) -> bool:
    """Runs of [a-z0-9] joined by one separator each: ".", "_", "__" or any run of "-"."""
    if not c or not set(c) <= _COMPONENT_CHARS or not (c[0].isalnum() and c[-1].isalnum()):
        return False
    sep = ""
    for ch in c + "a":
        if ch.isalnum():
            if sep and sep not in (".", "_", "__") and set(sep) != {"-"}:
                return False
            sep = ""
        else:
            sep += ch
    return True


def _host_ok(h: str) -> bool:
    host, _, port = h.partition(":")
    if port and not port.isdigit():
        return False
    labels = host.split(".")
    return all(lab and lab[0].isalnum() and lab[-1].isalnum() and all(ch.isalnum() or ch == "-" for ch in lab)
               for lab in labels)


def parse(ref: str) -> tuple[str, str]:
    """(name, tag) of ``ref``; InvalidArgument naming the problem otherwise."""
    if not ref or any(c.isspace() for c in ref):
        raise InvalidArgument(f"invalid reference format: {ref!r}")
    if "@" in ref:
        raise InvalidArgument(f"invalid reference {ref!r}: digests are not supported here, use NAME[:TAG]")
    name, tag = ref, "latest"
    slash, colon = ref.rfind("/"), ref.rfind(":")
    if colon > slash:
        name, tag = ref[:colon], ref[colon + 1:]
        if not tag or len(tag) > 128 or not set(tag) <= _TAG_CHARS or tag[0] in ".-":
            raise InvalidArgument(f"invalid reference {ref!r}: bad tag {tag!r}")
    parts = name.split("/")
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost"):
        if not _host_ok(first):
            raise InvalidArgument(f"invalid reference {ref!r}: bad registry host {first!r}")
        parts = parts[1:]
    for c in parts:
        if not _component_ok(c):
            raise InvalidArgument(
                f"invalid reference {ref!r}: repository name must be lowercase letters, digits and "
                f"separators (.-_), each component starting and ending with a letter or digit")
    return name, tag


def normalize(ref: str) -> str:
    name, tag = parse(ref)
    return f"{name}:{tag}"
