"""Image references as docker reads them: parsed, validated and normalised (pure).

    busybox                       docker.io/library/busybox:latest
    busybox:1.36                  docker.io/library/busybox:1.36
    team/app                      docker.io/team/app:latest
    127.0.0.1:5000/app:2          127.0.0.1:5000/app:2
    quay.io/x/y@sha256:<64 hex>   quay.io/x/y@sha256:<64 hex>   (a digest: no default tag)

The grammar is distribution's (``reference/regexp.go``): a repository is ``/``-separated
components of ``[a-z0-9]`` runs joined by ``.``, ``_``, ``__`` or runs of ``-``; it is led
by a registry host when its first component has a ``.`` or a ``:``, is ``localhost``, or
has an upper-case letter (docker's ``splitDockerDomain``); else the registry is
``docker.io``, and a one-component name there is under ``library/``. A tag is up to 128 of
``[A-Za-z0-9_.-]`` not starting with ``.`` or ``-``; a digest is ``sha256:`` and 64
lower-case hex digits. The store keeps full names; output shows docker's familiar form
(``familiar``), without ``docker.io/`` and ``library/``.
"""

from __future__ import annotations

from hutch.errors import InvalidArgument

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
_COMPONENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
_TAG_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_HEX = frozenset("0123456789abcdef")


class Reference:
    """A normalised reference: registry ``domain``, repository ``path``, and a ``tag``
    and/or a ``digest`` (either may be empty, not both once ``parse`` defaulted the tag)."""

    __slots__ = ("digest", "domain", "path", "tag")

    def __init__(self, domain: str, path: str, tag: str = "", digest: str = "") -> None:
        self.domain, self.path, self.tag, self.digest = domain, path, tag, digest

    @property
    def name(self) -> str:
        """The full repository name: ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def __repr__(self) -> str:
        return f"Reference({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, "")

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, "", digest)

    def familiar(self) -> str:
        """docker's short form: ``busybox:latest``, ``team/app:1``, ``quay.io/x/y:2``."""
        return familiar_name(self.name) + (f":{self.tag}" if self.tag else "") + \
            (f"@{self.digest}" if self.digest else "")


def familiar_name(name: str) -> str:
    """``docker.io/library/busybox`` -> ``busybox``; ``docker.io/team/app`` -> ``team/app``."""
    if not name.startswith(DEFAULT_DOMAIN + "/"):
        return name
    path = name[len(DEFAULT_DOMAIN) + 1:]
    if path.startswith(OFFICIAL_PREFIX) and "/" not in path[len(OFFICIAL_PREFIX):]:
        return path[len(OFFICIAL_PREFIX):]
    return path


def familiar(ref: str) -> str:
    """The familiar form of a stored (full) reference string; as it is if it does not parse."""
    try:
        return parse(ref, default_tag=False).familiar()
    except InvalidArgument:
        return ref


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
    if h.startswith("["):  # an IPv6 address: [::1]:5000
        addr, sep, port = h[1:].partition("]")
        return bool(sep) and bool(addr) and all(c in "0123456789abcdefABCDEF:." for c in addr) and \
            (not port or (port[0] == ":" and port[1:].isdigit()))
    host, _, port = h.partition(":")
    if ":" in h and not port.isdigit():
        return False
    labels = host.split(".")
    return all(lab and lab[0].isalnum() and lab[-1].isalnum() and all(ch.isalnum() or ch == "-" for ch in lab)
               for lab in labels)


def check_digest(digest: str) -> None:
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or len(hexpart) != 64 or not set(hexpart) <= _HEX:
        raise InvalidArgument(f"invalid digest {digest!r}: want sha256: and 64 lowercase hex digits")


def split_domain(name: str) -> tuple[str, str]:
    """docker's splitDockerDomain: (registry, repository path) of a name without tag."""
    first, slash, rest = name.partition("/")
    if not slash or (not {".", ":"} & set(first) and first != "localhost" and first == first.lower()):
        domain, path = DEFAULT_DOMAIN, name
    else:
        domain, path = first, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    return domain, path


def parse(ref: str, default_tag: bool = True) -> Reference:
    """``ref`` normalised; InvalidArgument naming the problem otherwise. With ``default_tag``
    a reference with neither tag nor digest gets ``latest``."""
    if not ref or any(c.isspace() for c in ref):
        raise InvalidArgument(f"invalid reference format: {ref!r}")
    rest, at, digest = ref.partition("@")
    if at:
        check_digest(digest)
    tag = ""
    slash, colon = rest.rfind("/"), rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1:]
        if not tag or len(tag) > 128 or not set(tag) <= _TAG_CHARS or tag[0] in ".-":
            raise InvalidArgument(f"invalid reference format: {ref!r}: bad tag {tag!r}")
    if len(rest) == 64 and set(rest) <= _HEX and not at:
        raise InvalidArgument(f"invalid repository name {ref!r}: cannot specify 64-byte hexadecimal "
                              f"strings")
    domain, path = split_domain(rest)
    if domain != DEFAULT_DOMAIN and not _host_ok(domain):
        raise InvalidArgument(f"invalid reference format: {ref!r}: bad registry host {domain!r}")
    if len(domain) + 1 + len(path) > 255:
        raise InvalidArgument(f"invalid reference format: {ref!r}: repository name must not be more than "
                              f"255 characters")
    for c in path.split("/"):
        if not _component_ok(c):
            raise InvalidArgument(
                f"invalid reference format: {ref!r}: repository name must be lowercase letters, digits "
                f"and separators (.-_), each component starting and ending with a letter or digit")
    if default_tag and not tag and not digest:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest)


def normalize(ref: str) -> str:
    """The full form of ``ref``: ``docker.io/library/busybox:latest``."""
    return str(parse(ref))
