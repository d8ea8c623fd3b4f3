"""registries.conf: where a repository is pulled from and pushed to (containers-registries.conf(5)).

Files, as containers/image reads them: ``$CONTAINERS_REGISTRIES_CONF`` alone when set; else
``~/.config/containers/registries.conf`` with its ``registries.conf.d`` when that file exists;
else ``/etc/containers/registries.conf``, then the drop-ins of ``/etc/containers/registries.conf.d``
and of ``~/.config/containers/registries.conf.d`` (``*.conf``, lexical order). A later file
replaces ``unqualified-search-registries`` when it sets it, a ``[[registry]]`` table of the same
prefix, and ``[aliases]`` one by one. Missing files are an empty configuration.

The v1 format (``[registries.search]``, ``[registries.insecure]``, ``[registries.block]``) is
read in the main file as containers/image reads it: each listed registry becomes a
``[[registry]]`` entry with ``insecure`` / ``blocked`` set; a drop-in must be v2.

Push goes to the name as written, never to a ``location`` or a mirror (the man page: "redirection
and mirrors are currently processed only when reading images"); the matching entry's ``insecure``
and ``blocked`` still apply, as in podman.
"""

from __future__ import annotations

import os

from hutch.errors import HutchError, InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

SYSTEM_CONF = "/etc/containers/registries.conf"
SYSTEM_CONF_D = "/etc/containers/registries.conf.d"
USER_CONF = ".config/containers/registries.conf"  # under $HOME
USER_CONF_D = ".config/containers/registries.conf.d"

DOCKER_IO = "docker.io"
DOCKER_IO_HOST = "registry-1.docker.io"  # where docker.io's API is served

_PULL_FROM = ("", "all", "digest-only", "tag-only")


class RegistryConfigError(HutchError):
    """A registries.conf that cannot be read or does not make sense (names the file)."""


class RegistryBlocked(HutchError):
    def __init__(self, prefix: str, source: str) -> None:
        super().__init__(f"registry {prefix} is blocked in {source}")
        self.prefix, self.source = prefix, source


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``[::1]``, with or without a port: the
    registries docker talks to over plain HTTP without being told."""
    if host.startswith("["):
        addr, _, rest = host[1:].partition("]")
        return addr == "::1" and (not rest or (rest[0] == ":" and rest[1:].isdigit()))
    name, _, port = host.partition(":")
    if port and not port.isdigit():
        return False
    if name == "localhost":
        return True
    parts = name.split(".")
    return (len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts)
            and parts[0] == "127")


class Mirror:
    __slots__ = ("insecure", "location", "pull_from")

    def __init__(self, location: str, insecure: bool = False, pull_from: str = "all") -> None:
        self.location = location
        self.insecure = insecure
        self.pull_from = pull_from or "all"  # "all", "digest-only" or "tag-only"

    def _key(self) -> tuple[str, bool, str]:
        return (self.location, self.insecure, self.pull_from)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mirror) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Mirror({self.location!r}, insecure={self.insecure}, pull_from={self.pull_from!r})"


class RegistryEntry:
    """One ``[[registry]]`` table. ``location`` is empty only for a wildcard prefix (names are then
    used as they are); ``source`` is the file that defined it."""

    __slots__ = ("blocked", "insecure", "location", "mirror_by_digest_only", "mirrors", "prefix", "source")

    def __init__(self, prefix: str, location: str, insecure: bool = False, blocked: bool = False,
                 mirrors: list[Mirror] | None = None, mirror_by_digest_only: bool = False,
                 source: str = "") -> None:
        self.prefix = prefix or location
        self.location = location
        self.insecure = insecure
        self.blocked = blocked
        self.mirrors: list[Mirror] = mirrors or []
        self.mirror_by_digest_only = mirror_by_digest_only
        self.source = source

    def match(self, name: str) -> int:
        """How much of ``name`` (a repository name without tag or digest) the prefix covers,
        -1 when it does not match. ``*.example.com`` matches any subdomain's host, with any port."""
        p = self.prefix
        if p.startswith("*."):
            host = name.partition("/")[0]
            hostname = host.partition(":")[0]
            return len(hostname) if hostname.endswith(p[1:]) else -1
        if name == p or (name.startswith(p) and name[len(p)] == "/"):
            return len(p)
        return -1

    def _key(self) -> tuple[str, str, bool, bool, tuple[Mirror, ...], bool]:
        return (self.prefix, self.location, self.insecure, self.blocked, tuple(self.mirrors),
                self.mirror_by_digest_only)

    def __eq__(self, other: object) -> bool:  # ``source`` is where, not what
        return isinstance(other, RegistryEntry) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"RegistryEntry(prefix={self.prefix!r}, location={self.location!r}, "
                f"insecure={self.insecure}, blocked={self.blocked}, mirrors={self.mirrors!r}, "
                f"mirror_by_digest_only={self.mirror_by_digest_only})")


class Endpoint:
    """One place to pull from (or push to). ``host`` is what to connect to (``registry-1.docker.io``
    for Docker Hub), ``registry`` the name credentials and certs.d are keyed by (``docker.io``)."""

    __slots__ = ("host", "insecure", "mirror", "registry", "repository")

    def __init__(self, registry: str, repository: str, insecure: bool = False, mirror: bool = False) -> None:
        self.registry = registry
        self.host = DOCKER_IO_HOST if registry == DOCKER_IO else registry
        self.repository = repository
        self.insecure = insecure
        self.mirror = mirror

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def _key(self) -> tuple[str, str, str, bool, bool]:
        return (self.host, self.registry, self.repository, self.insecure, self.mirror)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Endpoint) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Endpoint(host={self.host!r}, registry={self.registry!r}, repository={self.repository!r}, "
                f"insecure={self.insecure}, mirror={self.mirror})")


def _endpoint(name: str, insecure: bool, mirror: bool) -> Endpoint:
    registry, _, repository = name.partition("/")
    if registry == DOCKER_IO and "/" not in repository:
        repository = f"library/{repository}"
    return Endpoint(registry, repository, insecure or is_loopback(registry), mirror)


def _check_name(name: str) -> str:
    host, slash, rest = name.partition("/")
    if not slash or not host or not rest or "@" in name or ":" in rest or any(c.isspace() for c in name):
        raise InvalidArgument(f"{name!r} is not REGISTRY/REPOSITORY (with no tag or digest)")
    if host == DOCKER_IO and "/" not in rest:
        return f"{DOCKER_IO}/library/{rest}"
    return name


class RegistriesConf:
    __slots__ = ("aliases", "registries", "search", "sources")

    def __init__(self, search: list[str] | None = None, registries: list[RegistryEntry] | None = None,
                 aliases: dict[str, str] | None = None, sources: list[str] | None = None) -> None:
        self.search: list[str] = search or []  # unqualified-search-registries
        self.registries: list[RegistryEntry] = registries or []
        self.aliases: dict[str, str] = aliases or {}  # short name -> fully-qualified name
        self.sources: list[str] = sources or []  # the files that existed and were read

    @classmethod
    def load(cls, path: str | None = None, *, root: str = "") -> RegistriesConf:
        """The configuration in effect: ``path`` alone if given, else the files named in the
        module's docstring (system paths under ``root``, for tests)."""
        return cls.from_files(config_files(path, root=root))

    @classmethod
    def from_files(cls, files: Sequence[tuple[str, bool]]) -> RegistriesConf:
        """Merge ``(path, is_drop_in)`` in order; a missing file counts as empty."""
        conf = cls()
        search: list[str] | None = None
        by_prefix: dict[str, RegistryEntry] = {}
        for path, drop_in in files:
            doc = _read_toml(path)
            if doc is None:
                continue
            conf.sources.append(path)
            file_search, entries, aliases = _parse(doc, path, drop_in)
            if file_search is not None:
                search = file_search
            for e in entries:
                by_prefix[e.prefix] = e
            for short, full in aliases.items():
                if full:
                    conf.aliases[short] = full
                else:
                    conf.aliases.pop(short, None)
        conf.search = search or []
        conf.registries = list(by_prefix.values())
        return conf

    def find(self, name: str) -> tuple[RegistryEntry, int] | None:
        """The entry with the longest matching prefix, and how much of ``name`` it matched."""
        best: tuple[RegistryEntry, int] | None = None
        for e in self.registries:
            n = e.match(name)
            if n >= 0 and (best is None or len(e.prefix) > len(best[0].prefix)):
                best = (e, n)
        return best

    def endpoints(self, name: str, *, digest: bool = False) -> list[Endpoint]:
        """Where to pull ``name`` (``docker.io/library/busybox``, ``127.0.0.1:5000/team/app``) from,
        in order: the mirrors (those allowed for a pull by digest or by tag), then the primary
        location. RegistryBlocked when the matching entry is blocked."""
        name = _check_name(name)
        found = self.find(name)
        if found is None:
            return [_endpoint(name, False, False)]
        e, n = found
        if e.blocked:
            raise RegistryBlocked(e.prefix, e.source)
        rest = name[n:]
        out = []
        for m in e.mirrors:
            wanted = "digest-only" if e.mirror_by_digest_only else m.pull_from
            if (wanted == "digest-only" and not digest) or (wanted == "tag-only" and digest):
                continue
            out.append(_endpoint(_rewrite(name, m.location, rest, e), m.insecure, True))
        out.append(_endpoint(_rewrite(name, e.location, rest, e), e.insecure, False))
        return out

    def push_endpoint(self, name: str) -> Endpoint:
        """Where to push ``name``: the name as written (no location rewrite, no mirror), with the
        matching entry's ``insecure``; RegistryBlocked when it is blocked."""
        name = _check_name(name)
        found = self.find(name)
        insecure = False
        if found is not None:
            e = found[0]
            if e.blocked:
                raise RegistryBlocked(e.prefix, e.source)
            insecure = e.insecure
        return _endpoint(name, insecure, False)


def _rewrite(name: str, location: str, rest: str, e: RegistryEntry) -> str:
    if not location:  # a wildcard prefix without location: the name as it is
        return name
    out = location + rest
    if not out.partition("/")[2]:
        raise RegistryConfigError(
            f"{e.source}: [[registry]] {e.prefix!r}: {name} rewritten with location {location!r} "
            "names no repository")
    return out


def config_files(path: str | None = None, *, root: str = "") -> list[tuple[str, bool]]:
    """``(path, is_drop_in)`` in the order they are read (see the module docstring)."""
    if path is None:
        path = os.environ.get("CONTAINERS_REGISTRIES_CONF") or None
    if path is not None:
        return [(path, False)]
    home = os.path.expanduser("~")
    user_conf = os.path.join(home, USER_CONF)
    user_dir = os.path.join(home, USER_CONF_D)
    if os.path.isfile(user_conf):
        return [(user_conf, False), *_drop_ins(user_dir)]
    return [(root + SYSTEM_CONF, False), *_drop_ins(root + SYSTEM_CONF_D), *_drop_ins(user_dir)]


def _drop_ins(d: str) -> list[tuple[str, bool]]:
    try:
        names = sorted(os.listdir(d))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as err:
        raise RegistryConfigError(f"cannot read {d}: {err.strerror}") from None
    paths = (os.path.join(d, n) for n in names if n.endswith(".conf"))
    return [(p, True) for p in paths if os.path.isfile(p)]


def _read_toml(path: str) -> dict[str, object] | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise RegistryConfigError(f"cannot read {path}: {err.strerror}") from None
    import tomllib

    try:
        return tomllib.loads(data.decode())
    except UnicodeDecodeError:
        raise RegistryConfigError(f"invalid registries.conf {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise RegistryConfigError(f"invalid registries.conf {path}: TOML syntax error: {err}") from None


class _Fields:
    """Typed reads of one TOML table, every complaint naming the file and the table."""

    __slots__ = ("path", "tbl", "where")

    def __init__(self, path: str, where: str, tbl: object) -> None:
        if not isinstance(tbl, dict):
            raise RegistryConfigError(f"invalid registries.conf {path}: {where} must be a table")
        self.path, self.where, self.tbl = path, where, tbl

    def fail(self, what: str) -> RegistryConfigError:
        at = f"{self.where}: " if self.where else ""
        return RegistryConfigError(f"invalid registries.conf {self.path}: {at}{what}")

    def string(self, key: str) -> str:
        v = self.tbl.get(key, "")
        if not isinstance(v, str):
            raise self.fail(f"{key!r} must be a string")
        return v

    def flag(self, key: str) -> bool:
        v = self.tbl.get(key, False)
        if not isinstance(v, bool):
            raise self.fail(f"{key!r} must be true or false")
        return v

    def strings(self, key: str) -> list[str] | None:
        v = self.tbl.get(key)
        if v is None:
            return None
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            raise self.fail(f"{key!r} must be a list of strings")
        return list(v)

    def location(self, key: str) -> str:
        v = self.string(key).rstrip("/")
        if v.startswith(("http://", "https://")):
            raise self.fail(f"{key} {v!r} must not include a scheme (http:// or https://)")
        return v


def _parse(doc: dict[str, object], path: str, drop_in: bool
           ) -> tuple[list[str] | None, list[RegistryEntry], dict[str, str]]:
    top = _Fields(path, "", doc)
    v1 = doc.get("registries")
    if isinstance(v1, dict):
        if drop_in:
            raise top.fail("drop-in files must use the v2 format ([[registry]]), not [registries.*]")
        if "registry" in doc or "unqualified-search-registries" in doc:
            raise top.fail("mixes the v1 format ([registries.*]) with the v2 format")
        return _parse_v1(path, v1)
    search = top.strings("unqualified-search-registries")
    tables = doc.get("registry", [])
    if not isinstance(tables, list):
        raise top.fail("'registry' must be an array of tables ([[registry]])")
    entries: dict[str, RegistryEntry] = {}
    for i, tbl in enumerate(tables, 1):
        e = _entry(_Fields(path, f"[[registry]] #{i}", tbl), path)
        if e.prefix in entries:
            raise top.fail(f"[[registry]] prefix {e.prefix!r} is defined more than once")
        entries[e.prefix] = e
    aliases: dict[str, str] = {}
    if "aliases" in doc:
        al = _Fields(path, "[aliases]", doc["aliases"])
        for k in al.tbl:
            aliases[str(k)] = al.string(str(k))
    return search, list(entries.values()), aliases


def _entry(f: _Fields, path: str) -> RegistryEntry:
    prefix, location = f.location("prefix"), f.location("location")
    if not prefix and not location:
        raise f.fail("neither 'prefix' nor 'location' is set")
    if prefix.startswith("*."):
        if "/" in prefix or ":" in prefix:
            raise f.fail(f"wildcard prefix {prefix!r} must be a bare *.domain (no port, no path)")
    elif "*" in prefix or "*" in location:
        raise f.fail("a wildcard may only lead the prefix, as in *.example.com")
    elif not prefix:
        prefix = location
    elif not location:
        location = prefix
    by_digest = f.flag("mirror-by-digest-only")
    mirrors = []
    tables = f.tbl.get("mirror", [])
    if not isinstance(tables, list):
        raise f.fail("'mirror' must be an array of tables ([[registry.mirror]])")
    for j, tbl in enumerate(tables, 1):
        m = _Fields(path, f"{f.where} mirror #{j}", tbl)
        loc = m.location("location")
        if not loc or "*" in loc:
            raise m.fail("'location' must be set (without wildcards)")
        pull_from = m.string("pull-from-mirror")
        if pull_from not in _PULL_FROM:
            raise m.fail(f"'pull-from-mirror' must be all, digest-only or tag-only, not {pull_from!r}")
        if pull_from and by_digest:
            raise m.fail("'pull-from-mirror' cannot be combined with the registry's mirror-by-digest-only")
        mirrors.append(Mirror(loc, m.flag("insecure"), pull_from))
    return RegistryEntry(prefix, location, f.flag("insecure"), f.flag("blocked"), mirrors, by_digest, path)


def _parse_v1(path: str, v1: dict[str, object]
              ) -> tuple[list[str] | None, list[RegistryEntry], dict[str, str]]:
    lists: dict[str, list[str]] = {}
    for kind in ("search", "insecure", "block"):
        if kind in v1:
            got = _Fields(path, f"[registries.{kind}]", v1[kind]).strings("registries")
            lists[kind] = [r.rstrip("/") for r in got or []]
    entries: dict[str, RegistryEntry] = {}
    for kind in ("insecure", "block"):
        for r in lists.get(kind, []):
            e = entries.setdefault(r, RegistryEntry(r, r, source=path))
            if kind == "insecure":
                e.insecure = True
            else:
                e.blocked = True
    return lists.get("search"), list(entries.values()), {}
