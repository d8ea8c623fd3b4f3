"""Registry credentials: containers' auth.json, docker's config.json and credential helpers.

Read in this order (containers-auth.json(5)), the first file with credentials for the registry
winning:

1. the primary auth file, the only one written: ``--authfile``, else ``$REGISTRY_AUTH_FILE``,
   else ``$XDG_RUNTIME_DIR/containers/auth.json``, else ``~/.config/containers/auth.json``;
2. podman's own default when ``XDG_RUNTIME_DIR`` is unset, ``/run/containers/UID/auth.json``
   (so ``podman login`` as root is seen), unless an auth file was named;
3. ``${XDG_CONFIG_HOME:-~/.config}/containers/auth.json``;
4. docker's ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``;
5. ``~/.dockercfg`` (docker's legacy format: the ``auths`` map alone).

In each file: ``credHelpers[registry]`` (a ``docker-credential-NAME`` program), then docker's
``credsStore`` where set, then ``auths``: ``registry/namespace/repo`` keys from the most
specific to the registry itself, then keys in the forms docker once wrote (``https://quay.io``,
``https://index.docker.io/v1/``). Docker Hub is ``docker.io`` (also spelled ``index.docker.io``
and ``registry-1.docker.io``); helpers named in docker's file are asked for
``https://index.docker.io/v1/`` as docker asks them, those named in an auth.json for
``docker.io`` as podman asks them.
"""

from __future__ import annotations

import binascii
import os

from hutch import fastjson
from hutch.errors import HutchError, InvalidArgument
from hutch.util import atomic

HELPER_TIMEOUT = 30.0
DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io")
DOCKER_HUB_SERVER = "https://index.docker.io/v1/"  # docker's key for the hub
PODMAN_RUNTIME_AUTH = "/run/containers/{uid}/auth.json"  # podman's primary without XDG_RUNTIME_DIR


class CredentialsError(HutchError):
    """An auth file or a credential helper that cannot be used (names the file or program)."""


class Credential:
    """``identity_token`` is an OAuth refresh token (docker's ``identitytoken``), used instead of
    a password when set. ``source`` is the file or helper it came from."""

    __slots__ = ("identity_token", "password", "source", "username")

    def __init__(self, username: str, password: str, identity_token: str = "", source: str = "") -> None:
        self.username = username
        self.password = password
        self.identity_token = identity_token
        self.source = source

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credential) and (self.username, self.password, self.identity_token) == (
            other.username, other.password, other.identity_token)

    def __hash__(self) -> int:
        return hash((self.username, self.password, self.identity_token))

    def __repr__(self) -> str:  # never the secret
        token = ", identity_token=***" if self.identity_token else ""
        return f"Credential(username={self.username!r}, password=***{token}, source={self.source!r})"


def normalize_key(server: str) -> str:
    """What ``login``/``logout`` take to an auth.json key: no scheme (a URL keeps only its host,
    as docker's ``https://index.docker.io/v1/``), Docker Hub's names as ``docker.io``;
    ``quay.io/team`` (a namespace) stays as it is."""
    key = server.strip()
    for scheme in ("https://", "http://"):
        if key.startswith(scheme):
            key = key[len(scheme):].partition("/")[0]
            break
    key = key.rstrip("/")
    host, slash, rest = key.partition("/")
    if host in DOCKER_HUB_ALIASES:
        host = DOCKER_HUB
    if not host or any(c.isspace() for c in key):
        raise InvalidArgument(f"invalid registry {server!r}")
    return host + slash + rest


# ---- where the files are ----------------------------------------------------------------

def auth_file(authfile: str | None = None) -> str:
    """The primary (read/write) auth file."""
    if authfile:
        return authfile
    if path := os.environ.get("REGISTRY_AUTH_FILE"):
        return path
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(runtime, "containers", "auth.json")
    return os.path.join(os.path.expanduser("~"), ".config", "containers", "auth.json")


def docker_config() -> str:
    d = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(d, "config.json")


# kinds of file: containers' auth.json, docker's config.json, docker's legacy .dockercfg
_CONTAINERS, _DOCKER, _LEGACY = "containers", "docker", "legacy"


def auth_files(authfile: str | None = None) -> list[tuple[str, str]]:
    """``(path, kind)`` in the order ``lookup`` reads them (the module's docstring)."""
    home = os.path.expanduser("~")
    out = [(auth_file(authfile), _CONTAINERS)]
    if not authfile and not os.environ.get("REGISTRY_AUTH_FILE") and not os.environ.get("XDG_RUNTIME_DIR"):
        out.append((PODMAN_RUNTIME_AUTH.format(uid=os.getuid()), _CONTAINERS))
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    out.append((os.path.join(config_home, "containers", "auth.json"), _CONTAINERS))
    out.append((docker_config(), _DOCKER))
    out.append((os.path.join(home, ".dockercfg"), _LEGACY))
    seen: set[str] = set()
    unique = []
    for path, kind in out:
        norm = os.path.normpath(path)
        if norm not in seen:
            seen.add(norm)
            unique.append((path, kind))
    return unique


# ---- reading ------------------------------------------------------------------------------

def _read(path: str) -> dict[str, object] | None:
    """The file's JSON object; None when it does not exist; {} when it is empty."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CredentialsError(f"cannot read {path}: {err.strerror}") from None
    if not data.strip():
        return {}
    try:
        doc = fastjson.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise CredentialsError(f"invalid JSON in {path}: {err}") from None
    if not isinstance(doc, dict):
        raise CredentialsError(f"invalid {path}: not a JSON object")
    return doc


def _table(doc: dict[str, object], key: str, path: str) -> dict[str, object]:
    v = doc.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise CredentialsError(f"invalid {path}: {key!r} must be an object")
    return v


def _helper_name(v: object, where: str, path: str) -> str:
    if not isinstance(v, str) or "/" in v or any(c.isspace() for c in v):
        raise CredentialsError(f"invalid {path}: {where} must name a docker-credential-* helper, not {v!r}")
    return v


def _auth_keys(registry: str, repository: str) -> list[str]:
    """``registry/a/b/c``, ``registry/a/b``, ``registry/a``, ``registry``."""
    keys = [registry]
    parts = [p for p in repository.split("/") if p]
    for i in range(1, len(parts) + 1):
        keys.append(f"{registry}/{'/'.join(parts[:i])}")
    return keys[::-1]


def _legacy_host(key: str) -> str:
    """The registry a key in one of docker's older forms names (``https://r/v1/`` -> ``r``),
    Docker Hub's names folded to one; "" when ``key`` is not such a form."""
    for scheme in ("https://", "http://"):
        if key.startswith(scheme):
            key = key[len(scheme):].partition("/")[0]
            break
    else:
        if "/" in key:
            return ""
    return DOCKER_HUB if key in DOCKER_HUB_ALIASES else key


def _decode(entry: object, key: str, path: str) -> Credential | None:
    if not isinstance(entry, dict):
        raise CredentialsError(f"invalid {path}: the entry for {key!r} must be an object")
    auth, token = entry.get("auth") or "", entry.get("identitytoken") or ""
    if not isinstance(auth, str) or not isinstance(token, str):
        raise CredentialsError(f"invalid {path}: {key!r} has a non-string auth or identitytoken")
    user = password = ""
    if auth:
        try:
            raw = binascii.a2b_base64(auth.encode(), strict_mode=True).decode()
        except (binascii.Error, ValueError):
            raise CredentialsError(f"invalid {path}: the auth of {key!r} is not base64") from None
        user, colon, password = raw.partition(":")
        if not colon:  # as docker: such an entry is skipped
            return None
    if not user and not password and not token:
        return None  # "{}", what `docker login` leaves when a helper holds the secret
    return Credential(user, password.strip("\x00"), token, path)


def _find_in_file(path: str, kind: str, registry: str, repository: str) -> Credential | None:
    doc = _read(path)
    if doc is None:
        return None
    hub = registry == DOCKER_HUB
    if kind == _LEGACY:
        auths: dict[str, object] = doc
    else:
        helpers = _table(doc, "credHelpers", path)
        server = DOCKER_HUB_SERVER if hub and kind == _DOCKER else registry
        for name in DOCKER_HUB_ALIASES if hub else (registry,):
            if name in helpers:
                return _helper_get(_helper_name(helpers[name], f"credHelpers[{name!r}]", path), server, path)
        store = doc.get("credsStore")
        if store:
            found = _helper_get(_helper_name(store, "credsStore", path), server, path)
            if found is not None:
                return found
        auths = _table(doc, "auths", path)
    keys = _auth_keys(registry, repository) if kind != _LEGACY else [registry]
    for key in keys:
        if key in auths:
            found = _decode(auths[key], key, path)
            if found is not None:
                return found
    for key, entry in auths.items():
        if key not in keys and _legacy_host(key) == registry:
            found = _decode(entry, key, path)
            if found is not None:
                return found
    return None


def lookup(registry: str, repository: str = "", authfile: str | None = None) -> Credential | None:
    """Credentials for ``repository`` (``team/app``) on ``registry`` (``quay.io``,
    ``127.0.0.1:5000``, ``docker.io``), or None: anonymous."""
    registry = normalize_key(registry)
    for path, kind in auth_files(authfile):
        found = _find_in_file(path, kind, registry, repository)
        if found is not None:
            return found
    return None


# ---- credential helpers -----------------------------------------------------------------

def _helper(name: str, action: str, stdin: str, source: str) -> tuple[bool, str]:
    """Run ``docker-credential-NAME ACTION``: (True, stdout), or (False, "") when it has no
    credentials for the server."""
    import subprocess

    prog = f"docker-credential-{name}"
    try:
        done = subprocess.run([prog, action], input=stdin.encode(), capture_output=True,
                              timeout=HELPER_TIMEOUT, check=False)
    except FileNotFoundError:
        raise CredentialsError(f"credential helper {prog} (named in {source}) is not installed") from None
    except subprocess.TimeoutExpired:
        raise CredentialsError(f"{prog} {action}: no answer in {HELPER_TIMEOUT:g} s") from None
    except OSError as err:
        raise CredentialsError(f"cannot run credential helper {prog}: {err.strerror}") from None
    out = done.stdout.decode(errors="replace")
    if done.returncode != 0:
        said = (out + done.stderr.decode(errors="replace")).strip()
        if "credentials not found" in said.lower():
            return False, ""
        first = said.splitlines()[0] if said else f"exit status {done.returncode}"
        raise CredentialsError(f"credential helper {prog} {action} failed: {first}")
    return True, out


def _helper_get(name: str, server: str, source: str) -> Credential | None:
    ok, out = _helper(name, "get", server, source)
    if not ok:
        return None
    try:
        doc = fastjson.loads(out)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k, ""), str) for k in ("Username", "Secret")):
        raise CredentialsError(f"credential helper docker-credential-{name} get answered something other "
                               "than {\"Username\", \"Secret\"}")
    user, secret = str(doc.get("Username", "")), str(doc.get("Secret", ""))
    if not user and not secret:
        return None
    if user == "<token>":
        return Credential("", "", secret, f"docker-credential-{name}")
    return Credential(user, secret, "", f"docker-credential-{name}")


# ---- writing ------------------------------------------------------------------------------

def _mkdirs(d: str) -> None:
    """Make ``d`` and any missing parents, each 0700."""
    missing = []
    while d and not os.path.isdir(d):
        missing.append(d)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    for m in reversed(missing):
        try:
            os.mkdir(m, 0o700)
        except FileExistsError:
            pass


def _write(path: str, doc: dict[str, object]) -> None:
    """Replace ``path`` atomically and durably (hutch.util.atomic), mode 0600."""
    path = os.path.abspath(path)
    try:
        _mkdirs(os.path.dirname(path))
        atomic.write(path, (fastjson.dumps_pretty(doc, "\t") + "\n").encode(), 0o600, durable=True)
    except OSError as err:
        raise CredentialsError(f"cannot write {path}: {err.strerror}") from None


def _primary_for_write(authfile: str | None) -> str:
    path = auth_file(authfile)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not authfile and not os.environ.get("REGISTRY_AUTH_FILE") and runtime and not os.path.isdir(runtime):
        raise CredentialsError(f"{runtime} (from $XDG_RUNTIME_DIR) does not exist: create it or unset it")
    return path


def store(registry: str, username: str, password: str, authfile: str | None = None) -> str:
    """Save credentials for ``registry`` (or a ``registry/namespace`` key) in the primary auth
    file, or through the helper its ``credHelpers`` names; returns where they went (the file's
    path or ``docker-credential-NAME``)."""
    key = normalize_key(registry)
    path = _primary_for_write(authfile)
    doc = _read(path) or {}
    helpers = _table(doc, "credHelpers", path)
    if key in helpers:
        name = _helper_name(helpers[key], f"credHelpers[{key!r}]", path)
        body = fastjson.dumps({"ServerURL": key, "Username": username, "Secret": password})
        _helper(name, "store", body, path)
        return f"docker-credential-{name}"
    auths = _table(doc, "auths", path)
    token = binascii.b2a_base64(f"{username}:{password}".encode(), newline=False).decode()
    auths[key] = {"auth": token}
    doc["auths"] = auths
    _write(path, doc)
    return path


def erase(registry: str, authfile: str | None = None) -> bool:
    """Remove the credentials for ``registry`` from the primary auth file (its ``auths`` entry,
    older ``https://`` forms of it, and the helper's copy where ``credHelpers`` names one);
    whether there was anything to remove. Docker's config.json is left alone."""
    key = normalize_key(registry)
    path = _primary_for_write(authfile)
    doc = _read(path)
    if doc is None:
        return False
    removed = False
    helpers = _table(doc, "credHelpers", path)
    if key in helpers:
        name = _helper_name(helpers[key], f"credHelpers[{key!r}]", path)
        removed, _ = _helper(name, "erase", key, path)
    auths = _table(doc, "auths", path)
    gone = [k for k in auths if k == key or ("/" not in key and _legacy_host(k) == key and "://" in k)]
    for k in gone:
        del auths[k]
    if gone:
        _write(path, doc)
    return removed or bool(gone)
