"""registries.conf (files, merging, prefix matching, mirrors) and certs.d TLS contexts."""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path

import pytest

from hutch.errors import HutchError, InvalidArgument
from hutch.image.registry import certs
from hutch.image.registry.config import (
    Endpoint,
    Mirror,
    RegistriesConf,
    RegistryBlocked,
    RegistryConfigError,
    RegistryEntry,
    is_loopback,
)

REALISTIC = """\
# a realistic registries.conf
unqualified-search-registries = ["registry.fedoraproject.org", "quay.io", "docker.io"]

[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
location = "internal-registry-for-example.net/bar"

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
location = "registry.com"

[[registry.mirror]]
location = "mirror.registry.com"

[[registry]]
location = "docker.io"

[[registry.mirror]]
location = "cache.internal:5000/hub"
insecure = true

[[registry]]
location = "insecure.corp:8443"
insecure = true

[[registry]]
prefix = "evil.example.org"
location = "evil.example.org"
blocked = true

[[registry]]
prefix = "*.sub.example.com"
insecure = true

[[registry.mirror]]
location = "wildmirror.local"

[[registry]]
prefix = "*.other.example.com"
location = "rewritten.example.com/x/"

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
"""


def _write(p: Path, text: str) -> str:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return str(p)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees this machine's files: HOME is a fresh directory, the variable unset."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CONTAINERS_REGISTRIES_CONF", raising=False)


def _conf(tmp_path: Path, text: str = REALISTIC) -> RegistriesConf:
    return RegistriesConf.load(_write(tmp_path / "registries.conf", text))


def test_parse_realistic(tmp_path: Path) -> None:
    c = _conf(tmp_path)
    assert c.search == ["registry.fedoraproject.org", "quay.io", "docker.io"]
    assert c.aliases == {"fedora": "registry.fedoraproject.org/fedora"}
    by = {e.prefix: e for e in c.registries}
    assert list(by) == ["example.com/foo", "registry.com", "docker.io", "insecure.corp:8443",
                        "evil.example.org", "*.sub.example.com", "*.other.example.com"]
    assert by["example.com/foo"] == RegistryEntry(
        "example.com/foo", "internal-registry-for-example.net/bar",
        mirrors=[Mirror("example-mirror-0.local/mirror-for-foo"),
                 Mirror("example-mirror-1.local/mirrors/foo", insecure=True)])
    assert by["registry.com"].location == "registry.com"  # prefix defaults to location
    assert by["insecure.corp:8443"].insecure and by["evil.example.org"].blocked
    assert by["*.sub.example.com"].location == ""
    assert by["*.other.example.com"].location == "rewritten.example.com/x"  # trailing / dropped
    assert by["example.com/foo"].source == c.sources[0]


def test_man_page_example_order(tmp_path: Path) -> None:
    c = _conf(tmp_path)
    eps = c.endpoints("example.com/foo/image")
    assert [(e.host, e.repository, e.insecure, e.mirror) for e in eps] == [
        ("example-mirror-0.local", "mirror-for-foo/image", False, True),
        ("example-mirror-1.local", "mirrors/foo/image", True, True),
        ("internal-registry-for-example.net", "bar/image", False, False),
    ]
    # mirrors belong to their own [[registry]] only
    assert [e.name for e in c.endpoints("registry.com/image")] == [
        "mirror.registry.com/image", "registry.com/image"]
    # the name itself is a prefix match too
    assert c.endpoints("example.com/foo")[-1].name == "internal-registry-for-example.net/bar"
    # prefixes match at a / boundary only
    assert c.endpoints("example.com/foobar/x") == [Endpoint("example.com", "foobar/x")]


def test_longest_prefix_wins(tmp_path: Path) -> None:
    c = _conf(tmp_path, """
[[registry]]
prefix = "quay.io"
location = "a.local"
[[registry]]
prefix = "quay.io/team"
location = "b.local/t"
[[registry]]
prefix = "quay.io/team/app"
location = "c.local/only-app"
""")
    assert c.endpoints("quay.io/other/x")[-1].name == "a.local/other/x"
    assert c.endpoints("quay.io/team/x")[-1].name == "b.local/t/x"
    assert c.endpoints("quay.io/team/app")[-1].name == "c.local/only-app"
    assert c.endpoints("quay.io/team/app/sub")[-1].name == "c.local/only-app/sub"
    assert c.endpoints("quay.io/team/apple")[-1].name == "b.local/t/apple"


def test_docker_io_host_and_library(tmp_path: Path) -> None:
    c = RegistriesConf()
    [ep] = c.endpoints("docker.io/library/busybox")
    assert (ep.host, ep.registry, ep.repository, ep.insecure, ep.mirror) == (
        "registry-1.docker.io", "docker.io", "library/busybox", False, False)
    assert c.endpoints("docker.io/busybox") == [ep]  # docker's implied library/
    mirrored = _conf(tmp_path).endpoints("docker.io/library/alpine")
    assert [(e.host, e.registry, e.repository, e.insecure, e.mirror) for e in mirrored] == [
        ("cache.internal:5000", "cache.internal:5000", "hub/library/alpine", True, True),
        ("registry-1.docker.io", "docker.io", "library/alpine", False, False),
    ]


def test_wildcard_prefix(tmp_path: Path) -> None:
    c = _conf(tmp_path)
    eps = c.endpoints("a.b.sub.example.com/ns/img")  # * is any number of subdomains
    assert [(e.name, e.insecure, e.mirror) for e in eps] == [
        ("wildmirror.local/ns/img", False, True), ("a.b.sub.example.com/ns/img", True, False)]
    assert c.endpoints("x.sub.example.com:5000/img")[-1].insecure  # any port
    assert not c.endpoints("sub.example.com/img")[-1].insecure  # not the domain itself
    assert not c.endpoints("x.sub.example.com.evil/img")[-1].insecure
    assert c.endpoints("q.other.example.com/ns/img") == [Endpoint("rewritten.example.com", "x/ns/img")]


def test_blocked(tmp_path: Path) -> None:
    c = _conf(tmp_path)
    want = r"^registry evil\.example\.org is blocked in .*/registries\.conf$"
    with pytest.raises(RegistryBlocked, match=want):
        c.endpoints("evil.example.org/x")
    with pytest.raises(RegistryBlocked):
        c.push_endpoint("evil.example.org/x")


def test_push_endpoint_is_the_name_as_written(tmp_path: Path) -> None:
    c = _conf(tmp_path)
    assert c.push_endpoint("example.com/foo/image") == Endpoint("example.com", "foo/image")
    assert c.push_endpoint("insecure.corp:8443/a/b") == Endpoint("insecure.corp:8443", "a/b", insecure=True)
    assert c.push_endpoint("docker.io/me/app").host == "registry-1.docker.io"
    assert c.push_endpoint("127.0.0.1:5000/app").insecure


def test_insecure_flags(tmp_path: Path) -> None:
    c = _conf(tmp_path)
    assert c.endpoints("insecure.corp:8443/app") == [Endpoint("insecure.corp:8443", "app", insecure=True)]
    assert not c.endpoints("insecure.corp/app")[0].insecure  # the port is part of the prefix


@pytest.mark.parametrize(("host", "want"), [
    ("localhost", True), ("localhost:5000", True), ("127.0.0.1", True), ("127.0.0.1:5000", True),
    ("127.255.3.4:80", True), ("[::1]", True), ("[::1]:5000", True),
    ("128.0.0.1", False), ("127.0.0.256", False), ("127.0.0", False), ("localhost.example.com", False),
    ("[::2]:5000", False), ("localhost:x", False), ("example.com", False), ("10.0.0.1:5000", False),
])
def test_loopback_is_insecure(host: str, want: bool) -> None:
    assert is_loopback(host) is want
    assert RegistriesConf().endpoints(f"{host}/team/app")[0].insecure is want


def test_mirror_digest_and_tag_only(tmp_path: Path) -> None:
    c = _conf(tmp_path, """
[[registry]]
location = "a.io"
[[registry.mirror]]
location = "all.local"
[[registry.mirror]]
location = "digest.local"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "tag.local"
pull-from-mirror = "tag-only"
[[registry]]
location = "b.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "bmirror.local"
""")
    assert [e.host for e in c.endpoints("a.io/x")] == ["all.local", "tag.local", "a.io"]
    assert [e.host for e in c.endpoints("a.io/x", digest=True)] == ["all.local", "digest.local", "a.io"]
    assert [e.host for e in c.endpoints("b.io/x")] == ["b.io"]
    assert [e.host for e in c.endpoints("b.io/x", digest=True)] == ["bmirror.local", "b.io"]


def test_drop_ins_override_in_lexical_order(tmp_path: Path) -> None:
    root = tmp_path / "root"
    etc = root / "etc/containers"
    _write(etc / "registries.conf", """
unqualified-search-registries = ["main.io"]
[[registry]]
location = "a.io"
insecure = true
[[registry]]
location = "keep.io"
blocked = true
[aliases]
"x" = "main.io/x"
"y" = "main.io/y"
""")
    _write(etc / "registries.conf.d/20-second.conf", """
unqualified-search-registries = ["second.io"]
[[registry]]
prefix = "a.io"
location = "a-mirror.io"
""")
    _write(etc / "registries.conf.d/10-first.conf", 'unqualified-search-registries = ["first.io"]\n')
    _write(etc / "registries.conf.d/30-no-search.conf", '[aliases]\n"x" = ""\n"z" = "second.io/z"\n')
    _write(etc / "registries.conf.d/99-ignored.txt", "this is not TOML [")
    (etc / "registries.conf.d/50-dir.conf").mkdir()
    c = RegistriesConf.load(root=str(root))
    assert c.search == ["second.io"]
    by = {e.prefix: e for e in c.registries}
    assert by["a.io"] == RegistryEntry("a.io", "a-mirror.io")  # replaced whole: insecure is gone
    assert by["keep.io"].blocked
    assert c.aliases == {"y": "main.io/y", "z": "second.io/z"}
    assert [os.path.basename(s) for s in c.sources] == [
        "registries.conf", "10-first.conf", "20-second.conf", "30-no-search.conf"]
    # an empty list set in a drop-in still replaces
    _write(etc / "registries.conf.d/40-empty.conf", "unqualified-search-registries = []\n")
    assert RegistriesConf.load(root=str(root)).search == []


def test_user_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    _write(root / "etc/containers/registries.conf", 'unqualified-search-registries = ["system.io"]\n')
    _write(root / "etc/containers/registries.conf.d/a.conf", 'unqualified-search-registries = ["sd.io"]\n')
    home = Path(os.environ["HOME"])
    _write(home / ".config/containers/registries.conf.d/b.conf", "[aliases]\n\"u\" = \"user.io/u\"\n")
    c = RegistriesConf.load(root=str(root))
    assert (c.search, c.aliases) == (["sd.io"], {"u": "user.io/u"})  # user drop-ins come last
    _write(home / ".config/containers/registries.conf", 'unqualified-search-registries = ["user.io"]\n')
    c = RegistriesConf.load(root=str(root))  # the user's file replaces the system's and its drop-ins
    assert (c.search, c.aliases) == (["user.io"], {"u": "user.io/u"})
    env = _write(tmp_path / "env.conf", 'unqualified-search-registries = ["env.io"]\n')
    monkeypatch.setenv("CONTAINERS_REGISTRIES_CONF", env)
    c = RegistriesConf.load(root=str(root))
    assert (c.search, c.aliases, c.sources) == (["env.io"], {}, [env])


def test_missing_files_are_empty(tmp_path: Path) -> None:
    c = RegistriesConf.load(root=str(tmp_path / "nothing"))
    assert (c.search, c.registries, c.sources) == ([], [], [])
    c = RegistriesConf.load(str(tmp_path / "nope.conf"))
    assert c.endpoints("quay.io/a/b") == [Endpoint("quay.io", "a/b")]


def test_v1_format(tmp_path: Path) -> None:
    c = _conf(tmp_path, """
[registries.search]
registries = ['registry1.com', 'registry2.com']
[registries.insecure]
registries = ['registry3.com', 'both.com']
[registries.block]
registries = ['registry.untrusted.com', 'both.com']
""")
    assert c.search == ["registry1.com", "registry2.com"]
    assert c.registries == [RegistryEntry("registry3.com", "registry3.com", insecure=True),
                            RegistryEntry("both.com", "both.com", insecure=True, blocked=True),
                            RegistryEntry("registry.untrusted.com", "registry.untrusted.com", blocked=True)]
    assert c.endpoints("registry3.com/a")[0].insecure
    with pytest.raises(RegistryBlocked):
        c.endpoints("registry.untrusted.com/a")


@pytest.mark.parametrize(("text", "why"), [
    ("unqualified-search-registries = [\n", r"TOML syntax error: .*\(at end of document\)"),
    ("[[registry]]\nlocation = 3\n", r"\[\[registry\]\] #1: 'location' must be a string"),
    ("[[registry]]\nlocation = 'a.io'\ninsecure = 'yes'\n", "'insecure' must be true or false"),
    ("[[registry]]\nblocked = true\n", "neither 'prefix' nor 'location' is set"),
    ("[[registry]]\nlocation = 'https://a.io'\n", "must not include a scheme"),
    ("[[registry]]\nprefix = '*.a.io/ns'\n", "must be a bare"),
    ("[[registry]]\nprefix = 'a.*.io'\nlocation = 'b.io'\n", "a wildcard may only lead"),
    ("[[registry]]\nlocation = 'a.io'\n[[registry]]\nprefix = 'a.io'\nlocation = 'b.io'\n", "more than once"),
    ("[[registry]]\nlocation = 'a.io'\n[[registry.mirror]]\ninsecure = true\n",
     "mirror #1: 'location' must be set"),
    ("[[registry]]\nlocation = 'a.io'\n[[registry.mirror]]\nlocation = 'm'\npull-from-mirror = 'x'\n",
     "pull-from-mirror"),
    ("[[registry]]\nlocation = 'a.io'\nmirror-by-digest-only = true\n"
     "[[registry.mirror]]\nlocation = 'm'\npull-from-mirror = 'tag-only'\n", "cannot be combined"),
    ("unqualified-search-registries = 'docker.io'\n", "must be a list of strings"),
    ("registry = 1\n", "must be an array of tables"),
    ("[registries.search]\nregistries = ['a']\n[[registry]]\nlocation = 'b'\n", "mixes the v1"),
    ("[aliases]\nx = 1\n", r"\[aliases\]: 'x' must be a string"),
])
def test_malformed_one_line_naming_the_file(tmp_path: Path, text: str, why: str) -> None:
    path = _write(tmp_path / "bad.conf", text)
    with pytest.raises(RegistryConfigError, match=why) as exc:
        RegistriesConf.load(path)
    msg = str(exc.value)
    assert "\n" not in msg and path in msg and isinstance(exc.value, HutchError)


def test_v1_in_a_drop_in_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "etc/containers/registries.conf.d/x.conf", "[registries.search]\nregistries=[]")
    with pytest.raises(RegistryConfigError, match=f"{path}: drop-in files must use the v2 format"):
        RegistriesConf.load(root=str(tmp_path))


def test_unreadable_and_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.conf"
    path.write_bytes(b"\xff\xfe = 1\n")
    with pytest.raises(RegistryConfigError, match="not UTF-8"):
        RegistriesConf.load(str(path))
    with pytest.raises(RegistryConfigError, match=f"cannot read {tmp_path}"):
        RegistriesConf.load(str(tmp_path))  # a directory: EISDIR


def test_rewrite_to_no_repository(tmp_path: Path) -> None:
    c = _conf(tmp_path, "[[registry]]\nprefix = 'a.io/team'\nlocation = 'b.io'\n")
    assert c.endpoints("a.io/team/x")[0].name == "b.io/x"
    with pytest.raises(RegistryConfigError, match="names no repository"):
        c.endpoints("a.io/team")


@pytest.mark.parametrize("name", ["busybox", "docker.io/busybox:1.36", "quay.io/a@sha256:0", "/x", "a.io/"])
def test_names_must_be_qualified_without_tag(name: str) -> None:
    with pytest.raises(InvalidArgument):
        RegistriesConf().endpoints(name)


# ---- certs.d --------------------------------------------------------------------------------

def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA (ca.crt) and a client pair (client.cert / client.key) signed by it."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
             "-subj", "/CN=hutch test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", "/CN=hutch client", "-keyout", "client.key", "-out", "client.csr", cwd=d)
    _openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", "client.cert", cwd=d)
    return d


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    certs.clear_cache()


def _subjects(ctx: ssl.SSLContext) -> list[str]:
    return [str(c.get("subject")) for c in ctx.get_ca_certs()]


def _host_dir(root: Path, host: str, pki: Path, *names: str) -> Path:
    d = root / host
    d.mkdir(parents=True)
    for n in names:
        src = "client.cert" if n.endswith(".cert") else "client.key" if n.endswith(".key") else "ca.crt"
        (d / n).write_bytes((pki / src).read_bytes())
    return d


def test_certs_d_ca_and_client_pair(tmp_path: Path, pki: Path) -> None:
    roots = (str(tmp_path / "containers"), str(tmp_path / "docker"))
    _host_dir(tmp_path / "containers", "127.0.0.1:5000", pki, "ca.crt", "client.cert", "client.key")
    ctx = certs.tls_context("127.0.0.1:5000", roots=roots)
    assert any("hutch test CA" in s for s in _subjects(ctx))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert certs.tls_context("127.0.0.1:5000", roots=roots) is ctx  # cached
    # another host (or the same host without its port) has no extra CA
    assert not any("hutch test CA" in s for s in _subjects(certs.tls_context("127.0.0.1", roots=roots)))


def test_certs_d_first_existing_root_wins(tmp_path: Path, pki: Path) -> None:
    roots = (str(tmp_path / "containers"), str(tmp_path / "docker"))
    _host_dir(tmp_path / "docker", "reg.local", pki, "ca.crt")
    assert any("hutch test CA" in s for s in _subjects(certs.tls_context("reg.local", roots=roots)))
    assert certs.cert_dir_for("reg.local", roots) == str(tmp_path / "docker/reg.local")
    (tmp_path / "containers/reg.local").mkdir(parents=True)  # empty, but it exists: it is the one used
    certs.clear_cache()
    assert not any("hutch test CA" in s for s in _subjects(certs.tls_context("reg.local", roots=roots)))


def test_cert_dir_overrides_roots(tmp_path: Path, pki: Path) -> None:
    d = _host_dir(tmp_path, "flat", pki, "my-ca.crt")
    ctx = certs.tls_context("anything:1", cert_dir=str(d), roots=(str(tmp_path / "none"),))
    assert any("hutch test CA" in s for s in _subjects(ctx))


@pytest.mark.parametrize(("names", "why"), [
    (("client.cert",), r"missing key .*client\.key for client certificate .*client\.cert"),
    (("client.key",), r"missing client certificate .*client\.cert for key .*client\.key"),
])
def test_cert_key_pairing(tmp_path: Path, pki: Path, names: tuple[str, ...], why: str) -> None:
    d = _host_dir(tmp_path, "h", pki, *names)
    with pytest.raises(certs.CertsError, match=why) as exc:
        certs.tls_context("h", cert_dir=str(d))
    assert "\n" not in str(exc.value)


def test_bad_pem_names_the_file(tmp_path: Path, pki: Path) -> None:
    d = tmp_path / "h"
    d.mkdir()
    (d / "ca.crt").write_text("not a certificate\n")
    with pytest.raises(certs.CertsError, match=f"{d}/ca.crt") as exc:
        certs.tls_context("h", cert_dir=str(d))
    assert "\n" not in str(exc.value)
    (d / "ca.crt").unlink()
    (d / "c.cert").write_bytes((pki / "client.cert").read_bytes())
    (d / "c.key").write_bytes((pki / "ca.key").read_bytes())  # a key that is not the cert's
    with pytest.raises(certs.CertsError, match=f"{d}/c.cert"):
        certs.tls_context("h", cert_dir=str(d))


def test_verify_false(tmp_path: Path, pki: Path) -> None:
    d = _host_dir(tmp_path, "h", pki, "client.cert", "client.key")
    ctx = certs.tls_context("h", verify=False, cert_dir=str(d))
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname
    assert certs.tls_context("h", verify=True, cert_dir=str(d)).verify_mode == ssl.CERT_REQUIRED


def test_no_certs_d_is_the_default_store(tmp_path: Path) -> None:
    ctx = certs.tls_context("quay.io", roots=(str(tmp_path / "none"),))
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert isinstance(ctx, ssl.SSLContext)


@pytest.fixture(scope="module")
def server_pair(pki: Path) -> Path:
    """server.crt (for 127.0.0.1) / server.key, signed by the test CA."""
    (pki / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr", cwd=pki)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.ext", "-out", "server.crt", cwd=pki)
    return pki


def _handshake(ctx: ssl.SSLContext, pki: Path) -> str:
    """A TLS handshake with a server on 127.0.0.1 that wants a client certificate from the
    test CA; "" when it succeeds, else the client's error."""
    import socket
    import threading

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    server.verify_mode = ssl.CERT_REQUIRED
    server.load_verify_locations(str(pki / "ca.crt"))
    lsock = socket.create_server(("127.0.0.1", 0))
    port = lsock.getsockname()[1]

    def serve() -> None:
        conn, _ = lsock.accept()
        try:
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()

    t = threading.Thread(target=serve)
    t.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"x")
            tls.recv(1)  # a refused client certificate shows up here with TLS 1.3
        return ""
    except (ssl.SSLError, OSError) as err:
        return str(err)
    finally:
        t.join(5)
        lsock.close()


def test_tls_handshake_with_certs_d(tmp_path: Path, server_pair: Path) -> None:
    pki = server_pair
    full = _host_dir(tmp_path / "full", "127.0.0.1:5000", pki, "ca.crt", "client.cert", "client.key")
    assert _handshake(certs.tls_context("127.0.0.1:5000", cert_dir=str(full)), pki) == ""
    no_ca = _host_dir(tmp_path / "noca", "127.0.0.1:5000", pki, "client.cert", "client.key")
    failed = _handshake(certs.tls_context("127.0.0.1:5000", cert_dir=str(no_ca)), pki)
    assert "CERTIFICATE_VERIFY_FAILED" in failed
    assert _handshake(certs.tls_context("127.0.0.1:5000", verify=False, cert_dir=str(no_ca)), pki) == ""
    no_client = _host_dir(tmp_path / "noclient", "127.0.0.1:5000", pki, "ca.crt")
    assert _handshake(certs.tls_context("127.0.0.1:5000", cert_dir=str(no_client)), pki) != ""


def test_system_trust_is_read_lazily_from_hashed_dir(tmp_path: Path, server_pair: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The system CA directory (hash links) is used without parsing every certificate up front,
    and still verifies; SSL_CERT_FILE, when set, is honoured."""
    pki = server_pair
    capath = tmp_path / "system-certs"
    capath.mkdir()
    (capath / "test-ca.pem").write_bytes((pki / "ca.crt").read_bytes())
    _openssl("rehash", str(capath), cwd=tmp_path)
    real = ssl.get_default_verify_paths()
    fake = real._replace(cafile=None, capath=str(capath))
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: fake)
    monkeypatch.delenv(real.openssl_cafile_env, raising=False)
    monkeypatch.delenv(real.openssl_capath_env, raising=False)
    client = _host_dir(tmp_path / "c", "h", pki, "client.cert", "client.key")
    ctx = certs.tls_context("h", cert_dir=str(client))
    assert ctx.get_ca_certs() == []  # nothing parsed yet
    assert _handshake(ctx, pki) == ""  # the CA was found by its hash while verifying
    certs.clear_cache()
    monkeypatch.setenv(real.openssl_cafile_env, str(pki / "ca.crt"))
    assert any("hutch test CA" in s for s in _subjects(certs.tls_context("h", cert_dir=str(client))))
