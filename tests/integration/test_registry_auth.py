"""`hutch pull|push|login|logout` against real registries on 127.0.0.1: Basic and Bearer auth,
credentials from docker's config.json and helpers, TLS (verified, unverified, mutual, certs.d),
registries.conf (mirrors, blocked, search registries), retries and a registry that is not there.

Each test runs the real CLI with a store of its own (--root in tmp) and a private environment:
REGISTRY_AUTH_FILE, DOCKER_CONFIG, HOME, XDG_RUNTIME_DIR, XDG_CONFIG_HOME and
CONTAINERS_REGISTRIES_CONF all point into tmp, so the machine's own files are never read or
written. Images are put in the registries by skopeo (tests/support/registry.py).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.integration.test_engine import clean_up
from tests.support.registry import (
    BUSYBOX_LAYERS,
    PASSWORD,
    USER,
    OciImage,
    Proxy,
    Registry,
    TokenServer,
    free_port,
    oci_layout_from_rootfs,
    skopeo_inspect_raw,
    skopeo_push,
)

pytestmark = pytest.mark.root

HUTCH = REPO / ".venv" / "bin" / "hutch"
REPO_NAME = "authtest/busybox"  # where each registry of this module holds the image


class Hutch:
    """``hutch --root STORE --runroot RUN ARGS`` in an environment of its own (see the module)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.root = tmp / "store"
        self.runroot = f"/run/hutch-authtest-{secrets.token_hex(4)}"
        self.authfile = tmp / "auth.json"
        self.docker_config = tmp / "docker"
        self.registries_conf = tmp / "registries.conf"
        self.bin = tmp / "bin"
        for d in (tmp / "home", tmp / "xdg", self.bin):
            d.mkdir(mode=0o700)
        self.env = {
            "PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
            "LANG": "C.UTF-8",
            "HOME": str(tmp / "home"),
            "XDG_RUNTIME_DIR": str(tmp / "xdg"),
            "XDG_CONFIG_HOME": str(tmp / "home" / ".config"),
            "REGISTRY_AUTH_FILE": str(self.authfile),
            "DOCKER_CONFIG": str(self.docker_config),
            "CONTAINERS_REGISTRIES_CONF": str(self.registries_conf),
        }

    def __call__(self, *args: str, input: str | None = None, check: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(HUTCH), "--root", str(self.root), "--runroot", self.runroot, *args]
        r = subprocess.run(cmd, input=(input or "").encode(), capture_output=True, timeout=timeout,
                           check=False, env=self.env)
        out = subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(errors="replace"),
                                          r.stderr.decode(errors="replace"))
        if check and r.returncode != 0:
            raise AssertionError(f"hutch {' '.join(args)} exited {r.returncode}: {out.stderr}{out.stdout}")
        return out

    def images(self) -> list[str]:
        """REPOSITORY:TAG of every image in the store."""
        rows = self("images").stdout.splitlines()[1:]
        return [f"{r.split()[0]}:{r.split()[1]}" for r in rows]

    def blobs(self) -> list[str]:
        found = []
        for d in ("blobs", "ingest"):
            p = self.root / "images" / d
            if p.is_dir():
                found += [str(f.relative_to(self.root)) for f in p.rglob("*") if f.is_file()]
        return found


@pytest.fixture
def hutch(tmp_path: Path) -> Iterator[Hutch]:
    if not HUTCH.exists():
        pytest.skip(f"{HUTCH} is missing: run scripts/setup.sh")
    h = Hutch(tmp_path)
    try:
        yield h
    finally:
        clean_up(h, tmp_path, h.runroot)


@pytest.fixture(scope="module")
def busybox(rootfs_template: Path, tmp_path_factory: pytest.TempPathFactory) -> OciImage:
    return oci_layout_from_rootfs(rootfs_template, tmp_path_factory.mktemp("layout") / "oci",
                                  layers=BUSYBOX_LAYERS)


def _put(reg: Registry | Proxy, busybox: OciImage, ref: str = f"{REPO_NAME}:1") -> str:
    return skopeo_push(busybox.path, reg, ref)


@pytest.fixture(scope="module")
def on_auth(auth_registry: Registry, busybox: OciImage) -> str:
    """The image at the Basic-auth registry: its reference."""
    _put(auth_registry, busybox)
    return f"{auth_registry.host}/{REPO_NAME}:1"


@pytest.fixture(scope="module")
def on_plain(registry: Registry, busybox: OciImage) -> str:
    _put(registry, busybox)
    return f"{registry.host}/{REPO_NAME}:1"


def one_line(r: subprocess.CompletedProcess[str]) -> str:
    """The error of a failed run: exit status 1, one line on stderr, no traceback."""
    assert r.returncode == 1, (r.returncode, r.stderr, r.stdout)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def auths(h: Hutch) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(h.authfile.read_text())
    return dict(doc.get("auths", {}))


# ---------------------------------------------------------------------------------------------
# 1. Basic auth


def test_basic_auth_login_pull_logout(hutch: Hutch, auth_registry: Registry, on_auth: str) -> None:
    host = auth_registry.host
    # without credentials: denied, in one line, nothing stored
    err = one_line(hutch("pull", on_auth, check=False))
    assert err.startswith(f"Error: pull access denied for {host}/{REPO_NAME}"), err
    assert hutch.blobs() == [] and hutch.images() == []
    # a wrong password: refused, nothing written
    r = hutch("login", "-u", USER, "--password-stdin", host, input="wrong\n", check=False)
    err = one_line(r)
    assert "unauthorized" in err and host in err, err
    assert not hutch.authfile.exists()
    # the right one
    r = hutch("login", "-u", USER, "--password-stdin", host, input=PASSWORD + "\n")
    assert r.stdout.strip() == "Login Succeeded", r
    assert stat.S_IMODE(hutch.authfile.stat().st_mode) == 0o600
    entry = auths(hutch)[host]
    assert base64.b64decode(entry["auth"]).decode() == f"{USER}:{PASSWORD}"
    hutch("pull", "-q", on_auth)
    assert hutch.images() == [f"{host}/{REPO_NAME}:1"]
    # logout, twice
    r = hutch("logout", host)
    assert r.stdout.strip() == f"Removing login credentials for {host}", r
    assert host not in auths(hutch)
    r = hutch("logout", host, check=False)
    assert r.stdout.strip() == f"Not logged in to {host}", r


# ---------------------------------------------------------------------------------------------
# 2. Bearer tokens


@pytest.fixture(scope="module")
def on_token(token_registry: Registry, busybox: OciImage) -> str:
    _put(token_registry, busybox)
    return f"{token_registry.host}/{REPO_NAME}:1"


class StingyTokenServer(TokenServer):
    """Grants no action at all to the first request of each scope while `stingy` is set (the
    registry then answers ``insufficient_scope``), everything asked afterwards."""

    stingy = False

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def sign(self, *, sub: str, access: list[dict[str, Any]], expires_in: int | None = None) -> str:
        if self.stingy:
            key = " ".join(f"{a['name']}:{','.join(a['actions'])}" for a in access)
            if key not in self._seen:
                self._seen.add(key)
                access = [{**a, "actions": []} for a in access]
        return super().sign(sub=sub, access=access, expires_in=expires_in)


def test_bearer_login_pull_push(hutch: Hutch, token_registry: Registry, on_token: str) -> None:
    ts = token_registry.token_server
    assert ts is not None
    host = token_registry.host
    err = one_line(hutch("login", "-u", USER, "--password-stdin", host, input="wrong", check=False))
    assert "unauthorized" in err and host in err, err
    assert not hutch.authfile.exists()
    start = len(ts.requests)
    hutch("login", "-u", USER, "--password-stdin", host, input=PASSWORD)
    login = ts.requests[start:]
    assert [(r.user, r.scopes, r.status) for r in login] == [(USER, [], 200)], login
    # the pull: one token, for the repository's pull scope, for the manifest and every blob
    start = len(ts.requests)
    hutch("pull", "-q", on_token)
    pulled = ts.requests[start:]
    assert [(r.user, r.scopes) for r in pulled] == [(USER, [f"repository:{REPO_NAME}:pull"])], pulled
    # the push to another repository: one pull,push token for it, shared by the layers' threads;
    # the cross-repository mounts need pull on the source as well: one more, for both
    start = len(ts.requests)
    r = hutch("push", f"{host}/{REPO_NAME}:1", f"{host}/authtest/pushed:1")
    assert "Mounted from" in r.stdout, r.stdout
    pushed = ts.requests[start:]
    dest = "repository:authtest/pushed:pull,push"
    assert all(r.user == USER and r.status == 200 for r in pushed), pushed
    assert pushed[0].scopes == [dest], pushed
    assert sorted(map(sorted, (r.scopes for r in pushed[1:]))) == [
        sorted([dest, f"repository:{REPO_NAME}:pull"])], pushed
    manifest = skopeo_inspect_raw(token_registry, "authtest/pushed:1")
    assert r.stdout.strip().endswith(f"digest: sha256:{hashlib.sha256(manifest).hexdigest()} "
                                     f"size: {len(manifest)}"), r.stdout


def test_bearer_push_uploads_one_token(hutch: Hutch, token_registry: Registry, on_plain: str) -> None:
    """An image from another registry is uploaded (no mount): every HEAD, POST, PUT of the
    4 layers' threads, the config's and the manifest's go with one pull,push token."""
    ts = token_registry.token_server
    assert ts is not None
    hutch("login", "-u", USER, "--password-stdin", token_registry.host, input=PASSWORD)
    hutch("pull", "-q", on_plain)
    dest = f"authtest/uploaded-{secrets.token_hex(3)}"
    start = len(ts.requests)
    r = hutch("push", on_plain, f"{token_registry.host}/{dest}:1")
    assert r.stdout.count(": Pushed") == 4, r.stdout
    got = [(r.user, r.scopes) for r in ts.requests[start:]]
    assert got == [(USER, [f"repository:{dest}:pull,push"])], got
    assert json.loads(skopeo_inspect_raw(token_registry, f"{dest}:1"))["layers"]


def test_bearer_anonymous(hutch: Hutch, token_registry: Registry, on_token: str) -> None:
    ts = token_registry.token_server
    assert ts is not None
    start = len(ts.requests)
    hutch("pull", "-q", on_token)  # the token server grants anonymous pulls
    assert [(r.user, r.scopes, r.status) for r in ts.requests[start:]] == [
        (None, [f"repository:{REPO_NAME}:pull"], 200)]
    # an anonymous push gets a token without push: refused, in one line, after one token for
    # the destination and one more retry for the mounts' insufficient_scope (not one per thread)
    start = len(ts.requests)
    r = hutch("push", on_token, f"{token_registry.host}/authtest/anonymous:1", check=False)
    err = one_line(r)
    assert "unauthorized" in err or "denied" in err, err
    dest, source = "repository:authtest/anonymous:pull,push", f"repository:{REPO_NAME}:pull"
    got = [(r.user, sorted(r.scopes)) for r in ts.requests[start:]]
    assert got == [(None, [dest]), (None, sorted([dest, source]))], got


def test_bearer_insufficient_scope_one_retry(hutch: Hutch, busybox: OciImage) -> None:
    ts = StingyTokenServer()
    with Registry(token=ts) as reg:
        _put(reg, busybox)
        ts.stingy = True
        start = len(ts.requests)
        hutch("pull", "-q", f"{reg.host}/{REPO_NAME}:1")
        scope = f"repository:{REPO_NAME}:pull"
        got = [(r.user, r.scopes) for r in ts.requests[start:]]
        assert got == [(None, [scope])] * 2, got  # a token without pull, then once more


def test_expired_token_is_fetched_again(token_registry: Registry, on_token: str,
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A token that expired is replaced, not taken for credentials that are wrong."""
    from hutch.image.registry.config import Endpoint, RegistriesConf
    from hutch.image.registry.credentials import Credential
    from hutch.image.registry.session import Session

    ts = token_registry.token_server
    assert ts is not None
    s = Session(conf=RegistriesConf(), credential=Credential(USER, PASSWORD))
    try:
        repo = s.repository(Endpoint(token_registry.host, REPO_NAME))
        start = len(ts.requests)
        repo.manifest("1")
        scope = f"repository:{REPO_NAME}:pull"
        token, _ = repo.auth._tokens[scope]
        repo.auth._tokens[scope] = (token, time.monotonic() - 1)  # expired
        repo.manifest("1")
        assert [(r.user, r.scopes) for r in ts.requests[start:]] == [(USER, [scope])] * 2
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# 3. credentials from docker's config.json and from a credential helper

HELPER = """#!/bin/sh
read -r server || true
echo "$1 $server" >> "{log}"
if [ "$1" = get ] && [ "$server" = "{host}" ]; then
    printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{password}"}}' "$server"
    exit 0
fi
echo "credentials not found in native keychain"
exit 1
"""


def test_docker_config_auths(hutch: Hutch, auth_registry: Registry, on_auth: str) -> None:
    hutch.docker_config.mkdir()
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (hutch.docker_config / "config.json").write_text(json.dumps(
        {"auths": {auth_registry.host: {"auth": token}}}))
    hutch("pull", "-q", on_auth)
    assert hutch.images() == [on_auth]
    assert not hutch.authfile.exists()


def test_docker_credential_helper(hutch: Hutch, token_registry: Registry, on_token: str) -> None:
    ts = token_registry.token_server
    assert ts is not None
    log = hutch.tmp / "helper.log"
    helper = hutch.bin / "docker-credential-hutchtest"
    helper.write_text(HELPER.format(log=log, host=token_registry.host, user=USER, password=PASSWORD))
    helper.chmod(0o755)
    hutch.docker_config.mkdir()
    (hutch.docker_config / "config.json").write_text(json.dumps(
        {"credHelpers": {token_registry.host: "hutchtest"}}))
    start = len(ts.requests)
    hutch("pull", "-q", on_token)
    assert hutch.images() == [on_token]
    assert log.read_text() == f"get {token_registry.host}\n"
    assert [r.user for r in ts.requests[start:]] == [USER]  # the helper's credentials, not anonymous


# ---------------------------------------------------------------------------------------------
# 4. TLS


@pytest.fixture(scope="module")
def on_tls(tls_registry: Registry, busybox: OciImage) -> str:
    _put(tls_registry, busybox)
    return f"{tls_registry.host}/{REPO_NAME}:1"


def test_tls_verified_with_cert_dir(hutch: Hutch, tls_registry: Registry, on_tls: str) -> None:
    hutch("pull", "-q", "--tls-verify=true", "--cert-dir", str(tls_registry.cert_dir(hutch.tmp / "certs")),
          on_tls)
    assert hutch.images() == [on_tls]


def test_tls_unknown_ca(hutch: Hutch, on_tls: str) -> None:
    t0 = time.monotonic()
    err = one_line(hutch("pull", "--tls-verify=true", on_tls, check=False))
    assert time.monotonic() - t0 < 5, err  # not retried: it would fail the same way
    assert f"https://{on_tls.partition('/')[0]}/" in err and "x509: unable to get local issuer" in err, err
    assert hutch.blobs() == [] and hutch.images() == []


def test_tls_verify_false(hutch: Hutch, on_tls: str) -> None:
    hutch("pull", "-q", "--tls-verify=false", on_tls)
    assert hutch.images() == [on_tls]


def test_tls_certs_d(hutch: Hutch, tls_registry: Registry, on_tls: str,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """certs.d: the user's ~/.config/containers/certs.d/HOST:PORT (by the CLI), and any root
    (``tls_context(host, roots=...)``, and the Transport's lookup) for real requests."""
    tls_registry.certs_d(hutch.tmp / "home" / ".config" / "containers" / "certs.d")
    hutch("pull", "-q", "--tls-verify=true", on_tls)
    assert hutch.images() == [on_tls]

    from hutch.image.registry import certs
    from hutch.image.registry.transport import Transport, TransportError

    roots = (str(tls_registry.certs_d(hutch.tmp / "certs.d")),)
    conn = http.client.HTTPSConnection("127.0.0.1", tls_registry.port, timeout=10,
                                       context=certs.tls_context(tls_registry.host, roots=roots))
    try:
        conn.request("GET", "/v2/")
        assert conn.getresponse().status == 200
    finally:
        conn.close()

    def get() -> int:
        t = Transport(tls_verify=True, retries=0)
        try:
            with t.request("GET", f"https://{tls_registry.host}/v2/") as resp:
                resp.body()
                return resp.status
        finally:
            t.close()

    monkeypatch.setattr(certs, "default_roots", lambda: roots)
    assert get() == 200
    monkeypatch.setattr(certs, "default_roots", lambda: (str(hutch.tmp / "empty"),))
    with pytest.raises(TransportError, match="x509"):  # a root without the host: not trusted
        get()
    certs.clear_cache()


def test_mutual_tls(hutch: Hutch, busybox: OciImage) -> None:
    with Registry(tls=True, client_auth=True) as reg:
        _put(reg, busybox)
        ref = f"{reg.host}/{REPO_NAME}:1"
        ca_only = hutch.tmp / "ca-only"
        ca_only.mkdir()
        shutil.copyfile(reg.ca_cert, ca_only / "ca.crt")
        t0 = time.monotonic()
        err = one_line(hutch("pull", "--tls-verify=true", "--cert-dir", str(ca_only), ref, check=False))
        assert time.monotonic() - t0 < 5, err
        assert "tls: " in err and "wants a client certificate" in err, err
        assert hutch.images() == [] and hutch.blobs() == []
        hutch("pull", "-q", "--tls-verify=true", "--cert-dir", str(reg.cert_dir(hutch.tmp / "pair")), ref)
        assert hutch.images() == [ref]


# ---------------------------------------------------------------------------------------------
# 5. registries.conf


def test_mirror(hutch: Hutch, registry: Registry, on_plain: str, proxy: Proxy,
                fresh_registry: Registry) -> None:
    with Proxy(fresh_registry) as primary:
        hutch.registries_conf.write_text(
            f'[[registry]]\nlocation = "{primary.host}"\n[[registry.mirror]]\nlocation = "{proxy.host}"\n')
        ref = f"{primary.host}/{REPO_NAME}:1"
        hutch("pull", "-q", ref)
        assert hutch.images() == [ref]
        assert primary.requests == []
        assert any(f"/v2/{REPO_NAME}/manifests/1" in r.path for r in proxy.requests), proxy.requests


def test_mirror_down_falls_back(hutch: Hutch, registry: Registry, on_plain: str) -> None:
    down = f"127.0.0.1:{free_port()}"
    hutch.registries_conf.write_text(
        f'[[registry]]\nlocation = "{registry.host}"\n[[registry.mirror]]\nlocation = "{down}"\n')
    t0 = time.monotonic()
    hutch("pull", "-q", on_plain)
    assert hutch.images() == [on_plain]
    assert time.monotonic() - t0 < 5


def test_blocked(hutch: Hutch, registry: Registry, on_plain: str) -> None:
    hutch.registries_conf.write_text(f'[[registry]]\nlocation = "{registry.host}"\nblocked = true\n')
    err = one_line(hutch("pull", on_plain, check=False))
    assert f"registry {registry.host} is blocked in {hutch.registries_conf}" in err, err
    assert hutch.blobs() == [] and hutch.images() == []


def test_unqualified_search(hutch: Hutch, fresh_registry: Registry, busybox: OciImage) -> None:
    """A short name is looked for at each search registry as HOST/NAME, podman's rule (no
    ``library/``, which only docker.io adds), and the image is named so."""
    with Proxy(fresh_registry) as search:
        _put(search, busybox, "busybox:latest")
        hutch.registries_conf.write_text(f'unqualified-search-registries = ["{search.host}"]\n')
        search.clear()
        hutch("pull", "busybox")
        assert hutch.images() == [f"{search.host}/busybox:latest"]
        assert any(r.path == "/v2/busybox/manifests/latest" for r in search.requests), search.requests
        assert not any("library" in r.path for r in search.requests), search.requests


def test_unqualified_search_run(hutch: Hutch, fresh_registry: Registry, busybox: OciImage) -> None:
    """`pull busybox` prints the name it pulled; `run busybox` then finds that image without
    asking the registry again (podman resolves short names locally through the search list)."""
    with Proxy(fresh_registry) as search:
        _put(search, busybox, "busybox:latest")
        hutch.registries_conf.write_text(f'unqualified-search-registries = ["{search.host}"]\n')
        r = hutch("pull", "busybox")
        assert r.stdout.splitlines()[-1] == f"{search.host}/busybox:latest", r.stdout
        search.clear()
        r = hutch("run", "--rm", "busybox", "true", check=False)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert search.requests == []


# ---------------------------------------------------------------------------------------------
# 6. retries and the network


def test_retry_503(hutch: Hutch, proxy: Proxy, on_plain: str) -> None:
    proxy.fail(f"/v2/{REPO_NAME}/manifests/1", 503, times=2)
    ref = f"{proxy.host}/{REPO_NAME}:1"
    hutch("pull", "-q", ref)
    assert hutch.images() == [ref]
    gets = [r for r in proxy.requests if r.path == f"/v2/{REPO_NAME}/manifests/1"]
    assert len(gets) == 3, proxy.requests


def test_retry_429_after(hutch: Hutch, proxy: Proxy, on_plain: str, busybox: OciImage) -> None:
    proxy.fail(f"/blobs/{busybox.config_digest}", 429, times=1, headers={"Retry-After": "2"})
    ref = f"{proxy.host}/{REPO_NAME}:1"
    t0 = time.monotonic()
    hutch("pull", "-q", ref)
    assert time.monotonic() - t0 >= 2
    assert hutch.images() == [ref]
    assert len(proxy.blob_gets(busybox.config_digest)) == 2


def test_nothing_listening(hutch: Hutch) -> None:
    t0 = time.monotonic()
    err = one_line(hutch("pull", f"127.0.0.1:{free_port()}/{REPO_NAME}:1", check=False, timeout=30))
    assert time.monotonic() - t0 < 5, err
    assert "connection refused" in err.lower(), err
    assert hutch.blobs() == [] and hutch.images() == []


def test_insecure_registry(hutch: Hutch, registry: Registry, on_plain: str) -> None:
    """``insecure = true`` for a name that is not loopback: ``[::ffff:127.0.0.1]:PORT`` (an
    IPv4-mapped IPv6 address: 127.0.0.1 itself) is plain HTTP only when registries.conf says so."""
    mapped = f"[::ffff:127.0.0.1]:{registry.port}"
    ref = f"{mapped}/{REPO_NAME}:1"
    t0 = time.monotonic()
    err = one_line(hutch("pull", ref, check=False))  # HTTPS, which this registry does not speak
    assert time.monotonic() - t0 < 5, err
    assert "https://" + mapped in err and "tls: wrong version number" in err, err
    hutch.registries_conf.write_text(f'[[registry]]\nlocation = "{mapped}"\ninsecure = true\n')
    hutch("pull", "-q", ref)
    assert hutch.images() == [ref]


def test_unknown_host_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host name that does not resolve is said at once (no lookup leaves this machine:
    getaddrinfo answers EAI_NONAME here); one that may resolve later (EAI_AGAIN) is retried."""
    import socket

    from hutch.image.registry.transport import Transport, TransportError

    calls: list[str] = []

    def getaddrinfo(host: str, *args: object, **kw: object) -> Any:
        calls.append(host)
        code = socket.EAI_NONAME if host == "nosuch.invalid" else socket.EAI_AGAIN
        raise socket.gaierror(code, "Name or service not known" if code == socket.EAI_NONAME
                              else "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    t = Transport(tls_verify=True, retries=2, backoff=0.01)
    try:
        with pytest.raises(TransportError, match="name or service not known"):
            t.request("GET", "https://nosuch.invalid/v2/")
        assert calls == ["nosuch.invalid"]
        with pytest.raises(TransportError, match="temporary failure"):
            t.request("GET", "https://flaky.invalid/v2/")
        assert calls[1:] == ["flaky.invalid"] * 3
    finally:
        t.close()



def test_bearer_no_anonymous(hutch: Hutch, busybox: OciImage, registry: Registry, on_plain: str) -> None:
    """A token server that grants nothing anonymously: a pull without login is denied as any
    other (one line, docker's words), and a mirror that wants a login falls back to the primary."""
    with Registry(token=TokenServer(anonymous=None)) as reg:
        _put(reg, busybox)
        err = one_line(hutch("pull", f"{reg.host}/{REPO_NAME}:1", check=False))
        assert err.startswith(f"Error: pull access denied for {reg.host}/{REPO_NAME}"), err
        assert hutch.blobs() == [] and hutch.images() == []
        hutch.registries_conf.write_text(
            f'[[registry]]\nlocation = "{registry.host}"\n[[registry.mirror]]\nlocation = "{reg.host}"\n')
        hutch("pull", "-q", on_plain)
        assert hutch.images() == [on_plain]
