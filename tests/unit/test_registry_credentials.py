"""Registry credentials: auth.json, docker's config.json, .dockercfg and credential helpers."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from base64 import b64encode
from pathlib import Path

import pytest

from hutch.errors import HutchError, InvalidArgument
from hutch.image.registry import credentials as cr
from hutch.image.registry.credentials import Credential, CredentialsError

# A credential helper speaking docker-credential-helpers' protocol, keeping its secrets as JSON
# files in $HUTCHTEST_STORE and logging each call to $HUTCHTEST_STORE/log.
HELPER = '''\
import json, os, sys, time
store = os.environ["HUTCHTEST_STORE"]
action, data = sys.argv[1], sys.stdin.read()
with open(os.path.join(store, "log"), "a") as log:
    log.write(f"{action} {data}\\n")
if os.environ.get("HUTCHTEST_SLEEP"):
    time.sleep(10)
if os.environ.get("HUTCHTEST_BROKEN"):
    print("the keyring is locked", file=sys.stderr)
    sys.exit(3)
if action == "store":
    req = json.loads(data)
    path = os.path.join(store, req["ServerURL"].replace("/", "_"))
    with open(path, "w") as f:
        json.dump(req, f)
    sys.exit(0)
path = os.path.join(store, data.strip().replace("/", "_"))
if not os.path.exists(path):
    print("credentials not found in native keychain")
    sys.exit(1)
if action == "erase":
    os.unlink(path)
else:
    print(open(path).read())
'''


def _auth(user: str, password: str) -> dict[str, str]:
    return {"auth": b64encode(f"{user}:{password}".encode()).decode()}


def _put(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


class Env:
    def __init__(self, tmp: Path) -> None:
        self.home = tmp / "home"
        self.run = tmp / "run"
        self.helpers = tmp / "helpers"
        self.primary = self.run / "containers/auth.json"
        self.config = self.home / ".config/containers/auth.json"
        self.docker = self.home / ".docker/config.json"
        self.dockercfg = self.home / ".dockercfg"

    def helper_secret(self, server: str, user: str, secret: str) -> None:
        doc = {"ServerURL": server, "Username": user, "Secret": secret}
        _put(self.helpers / server.replace("/", "_"), doc)

    def helper_log(self) -> list[str]:
        log = self.helpers / "log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    e = Env(tmp_path)
    for d in (e.home, e.run, e.helpers):
        d.mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-hutchtest"
    helper.write_text(f"#!{sys.executable}\n{HELPER}")
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HUTCHTEST_STORE", str(e.helpers))
    monkeypatch.setenv("HOME", str(e.home))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(e.run))
    for var in ("REGISTRY_AUTH_FILE", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "HUTCHTEST_SLEEP",
                "HUTCHTEST_BROKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(cr, "PODMAN_RUNTIME_AUTH", str(tmp_path / "podman-run/{uid}/auth.json"))
    return e


def test_file_locations(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cr.auth_files() == [(str(env.primary), "containers"), (str(env.config), "containers"),
                               (str(env.docker), "docker"), (str(env.dockercfg), "legacy")]
    assert cr.auth_file("/x/auth.json") == "/x/auth.json"
    monkeypatch.setenv("REGISTRY_AUTH_FILE", "/env/auth.json")
    assert cr.auth_file() == "/env/auth.json"
    assert cr.auth_file("/x/auth.json") == "/x/auth.json"  # --authfile beats the variable
    monkeypatch.delenv("REGISTRY_AUTH_FILE")
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdgconf"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "dockerconf"))
    # without XDG_RUNTIME_DIR: ~/.config (hutch's choice), podman's /run/containers/UID, XDG_CONFIG_HOME
    assert [p for p, _ in cr.auth_files()] == [
        str(env.config), str(tmp_path / f"podman-run/{os.getuid()}/auth.json"),
        str(tmp_path / "xdgconf/containers/auth.json"), str(tmp_path / "dockerconf/config.json"),
        str(env.dockercfg)]
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert [p for p, _ in cr.auth_files()][:3] == [  # the same file is read once
        str(env.config), str(tmp_path / f"podman-run/{os.getuid()}/auth.json"),
        str(tmp_path / "dockerconf/config.json")]


def test_precedence(env: Env) -> None:
    assert cr.lookup("quay.io", "team/app") is None
    _put(env.dockercfg, {"quay.io": _auth("legacy", "p5")})
    assert cr.lookup("quay.io") == Credential("legacy", "p5")
    _put(env.docker, {"auths": {"quay.io": _auth("docker", "p4")}})
    assert cr.lookup("quay.io") == Credential("docker", "p4")
    _put(env.config, {"auths": {"quay.io": _auth("config", "p3")}})
    assert cr.lookup("quay.io") == Credential("config", "p3")
    _put(env.primary, {"auths": {"quay.io": _auth("primary", "p:1:x")}})
    found = cr.lookup("quay.io", "team/app")
    assert found == Credential("primary", "p:1:x")  # split at the first colon
    assert found is not None and found.source == str(env.primary)
    other = _put(env.home / "other.json", {"auths": {"quay.io": _auth("other", "p0")}})
    assert cr.lookup("quay.io", authfile=str(other)) == Credential("other", "p0")
    assert cr.lookup("docker.io") is None


def test_podman_runtime_file_without_xdg(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    _put(tmp_path / f"podman-run/{os.getuid()}/auth.json", {"auths": {"r.io": _auth("podman", "pw")}})
    assert cr.lookup("r.io") == Credential("podman", "pw")
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "named.json"))
    assert cr.lookup("r.io") is None  # an auth file was named: podman's default is not


def test_namespaced_keys(env: Env) -> None:
    _put(env.primary, {"auths": {
        "quay.io/team/app": _auth("app", "1"), "quay.io/team": _auth("team", "2"),
        "quay.io": _auth("reg", "3"), "quay.io/team/app/sub": _auth("sub", "4")}})
    assert cr.lookup("quay.io", "team/app") == Credential("app", "1")
    assert cr.lookup("quay.io", "team/app/sub/deeper") == Credential("sub", "4")
    assert cr.lookup("quay.io", "team/other") == Credential("team", "2")
    assert cr.lookup("quay.io", "teams/app") == Credential("reg", "3")
    assert cr.lookup("quay.io") == Credential("reg", "3")
    # an entry left empty by a helper login does not hide the less specific ones
    _put(env.primary, {"auths": {"quay.io/team": {}, "quay.io": _auth("reg", "3")}})
    assert cr.lookup("quay.io", "team/x") == Credential("reg", "3")


def test_legacy_key_forms(env: Env) -> None:
    _put(env.docker, {"auths": {
        "https://index.docker.io/v1/": _auth("hub", "h"),
        "https://quay.io": _auth("quay", "q"),
        "http://localhost:5000/v1/": _auth("local", "l"),
        "https://ghcr.io/v2/": _auth("gh", "g"),
        "https://quay.io.evil.com": _auth("evil", "e"),
    }})
    assert cr.lookup("docker.io", "library/busybox") == Credential("hub", "h")
    assert cr.lookup("index.docker.io") == Credential("hub", "h")
    assert cr.lookup("registry-1.docker.io") == Credential("hub", "h")
    assert cr.lookup("quay.io", "a/b") == Credential("quay", "q")
    assert cr.lookup("localhost:5000") == Credential("local", "l")
    assert cr.lookup("ghcr.io") == Credential("gh", "g")
    assert cr.lookup("localhost") is None
    # the exact key is preferred over an old form of it
    _put(env.docker, {"auths": {"https://quay.io": _auth("old", "o"), "quay.io": _auth("new", "n")}})
    assert cr.lookup("quay.io") == Credential("new", "n")


def test_docker_io_spellings(env: Env) -> None:
    _put(env.primary, {"auths": {"index.docker.io": _auth("idx", "1")}})
    assert cr.lookup("docker.io", "library/alpine") == Credential("idx", "1")
    _put(env.primary, {"auths": {"docker.io": _auth("hub", "2"), "docker.io/me": _auth("me", "3")}})
    assert cr.lookup("docker.io", "library/alpine") == Credential("hub", "2")
    assert cr.lookup("docker.io", "me/app") == Credential("me", "3")


def test_identity_token_and_odd_entries(env: Env) -> None:
    _put(env.docker, {"auths": {
        "a.io": {**_auth("bob", ""), "identitytoken": "refresh-me"},
        "b.io": {"identitytoken": "only-token"},
        "c.io": {"auth": b64encode(b"no-colon").decode()},
        "d.io": {"auth": b64encode(b"u:p\x00\x00").decode()},
    }})
    a = cr.lookup("a.io")
    assert a == Credential("bob", "", "refresh-me")
    assert "refresh-me" not in repr(a) and "bob" in repr(a)
    assert cr.lookup("b.io") == Credential("", "", "only-token")
    assert cr.lookup("c.io") is None  # skipped, as docker does
    assert cr.lookup("d.io") == Credential("u", "p")
    assert "secret" not in repr(Credential("u", "secret"))


def test_helpers(env: Env) -> None:
    env.helper_secret("quay.io", "helped", "s1")
    env.helper_secret("https://index.docker.io/v1/", "hubber", "s2")
    env.helper_secret("docker.io", "podhub", "s3")
    env.helper_secret("ghcr.io", "<token>", "refresh")
    helpers = {"quay.io": "hutchtest", "docker.io": "hutchtest", "ghcr.io": "hutchtest"}
    _put(env.docker, {"credHelpers": helpers, "auths": {"quay.io": _auth("inline", "x")}})
    assert cr.lookup("quay.io") == Credential("helped", "s1")  # the helper first
    found = cr.lookup("docker.io")
    assert found == Credential("hubber", "s2")  # asked for docker's key of the hub
    assert found is not None and found.source == "docker-credential-hutchtest"
    assert cr.lookup("ghcr.io") == Credential("", "", "refresh")  # <token>: an identity token
    # in an auth.json, the hub is asked for as docker.io (as podman asks)
    _put(env.primary, {"credHelpers": {"docker.io": "hutchtest"}})
    assert cr.lookup("docker.io") == Credential("podhub", "s3")
    assert env.helper_log() == [
        "get quay.io", "get https://index.docker.io/v1/", "get ghcr.io", "get docker.io"]


def test_helper_not_found_falls_through(env: Env) -> None:
    _put(env.primary, {"credHelpers": {"quay.io": "hutchtest"}})
    _put(env.docker, {"auths": {"quay.io": _auth("docker", "d")}})
    assert cr.lookup("quay.io") == Credential("docker", "d")
    assert env.helper_log() == ["get quay.io"]


def test_creds_store(env: Env) -> None:
    _put(env.docker, {"credsStore": "hutchtest", "auths": {"quay.io": {}, "r.io": _auth("inline", "i")}})
    env.helper_secret("quay.io", "stored", "s")
    assert cr.lookup("quay.io") == Credential("stored", "s")
    assert cr.lookup("r.io") == Credential("inline", "i")  # the store has none: the file's own entry


def test_helper_errors(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    _put(env.docker, {"credHelpers": {"quay.io": "nosuchhelper", "ghcr.io": "hutchtest", "x.io": "../evil"}})
    with pytest.raises(CredentialsError, match=r"docker-credential-nosuchhelper \(named in .*config\.json\)"):
        cr.lookup("quay.io")
    with pytest.raises(CredentialsError, match=r"credHelpers\['x\.io'\] must name"):
        cr.lookup("x.io")
    monkeypatch.setenv("HUTCHTEST_BROKEN", "1")
    want = r"^credential helper docker-credential-hutchtest get failed: the keyring is locked$"
    with pytest.raises(CredentialsError, match=want):
        cr.lookup("ghcr.io")
    monkeypatch.delenv("HUTCHTEST_BROKEN")
    monkeypatch.setenv("HUTCHTEST_SLEEP", "1")
    monkeypatch.setattr(cr, "HELPER_TIMEOUT", 0.5)
    with pytest.raises(CredentialsError, match=r"no answer in 0\.5 s"):
        cr.lookup("ghcr.io")


@pytest.mark.parametrize(("which", "content", "why"), [
    ("primary", "{not json", "invalid JSON in"),
    ("config", "[1, 2]", "not a JSON object"),
    ("docker", '{"auths": []}', "'auths' must be an object"),
    ("docker", '{"auths": {"q.io": "x"}}', "the entry for 'q.io' must be an object"),
    ("primary", '{"auths": {"q.io": {"auth": "%%%"}}}', "the auth of 'q.io' is not base64"),
    ("dockercfg", "{", "invalid JSON in"),
    ("primary", b"\xff\xfe", "invalid JSON in"),
])
def test_malformed_files(env: Env, which: str, content: str | bytes, why: str) -> None:
    path: Path = getattr(env, which)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(CredentialsError, match=why) as exc:
        cr.lookup("q.io")
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)
    assert isinstance(exc.value, HutchError)


def test_unreadable_and_empty_files(env: Env) -> None:
    env.primary.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(CredentialsError, match=f"cannot read {env.primary}: Is a directory"):
        cr.lookup("q.io")
    env.primary.rmdir()
    env.primary.write_text("  \n")  # empty: no credentials, no error
    assert cr.lookup("q.io") is None


def test_store_writes_atomically_0600(env: Env) -> None:
    path = cr.store("quay.io", "alice", "pa:ss")
    assert path == str(env.primary)
    assert stat.S_IMODE(env.primary.stat().st_mode) == 0o600
    assert stat.S_IMODE(env.primary.parent.stat().st_mode) == 0o700
    assert json.loads(env.primary.read_text()) == {"auths": {"quay.io": _auth("alice", "pa:ss")}}
    assert cr.lookup("quay.io") == Credential("alice", "pa:ss")
    # read-modify-write: other keys and entries are kept; the file is replaced, not rewritten
    _put(env.primary, {"auths": {"quay.io": _auth("old", "o"), "r.io": _auth("r", "r")}, "other": {"x": 1}})
    inode = env.primary.stat().st_ino
    cr.store("https://quay.io/", "bob", "b")
    assert json.loads(env.primary.read_text()) == {
        "auths": {"quay.io": _auth("bob", "b"), "r.io": _auth("r", "r")}, "other": {"x": 1}}
    assert env.primary.stat().st_ino != inode
    assert sorted(os.listdir(env.primary.parent)) == ["auth.json"]  # no temporary left behind
    # a namespace key, and the hub under its canonical name
    cr.store("quay.io/team", "t", "t")
    cr.store("index.docker.io", "h", "h")
    keys = set(json.loads(env.primary.read_text())["auths"])
    assert keys == {"quay.io", "r.io", "quay.io/team", "docker.io"}


def test_store_makes_directories_0700(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    path = cr.store("r.io", "u", "p")
    assert path == str(env.config)
    for d in (env.home / ".config", env.home / ".config/containers"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    named = tmp_path / "a/b/auth.json"
    assert cr.store("r.io", "u", "p", authfile=str(named)) == str(named)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    with pytest.raises(CredentialsError, match=r"missing \(from \$XDG_RUNTIME_DIR\) does not exist"):
        cr.store("r.io", "u", "p")


def test_store_failure_leaves_nothing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    cr.store("r.io", "u", "p")
    before = env.primary.read_bytes()

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(CredentialsError, match=f"^cannot write {env.primary}: No space left on device$"):
        cr.store("r.io", "u2", "p2")
    assert os.listdir(env.primary.parent) == ["auth.json"]
    assert env.primary.read_bytes() == before


def test_store_and_erase_through_helper(env: Env) -> None:
    _put(env.primary, {"credHelpers": {"quay.io": "hutchtest"}, "auths": {"quay.io": _auth("stale", "s")}})
    assert cr.store("quay.io", "alice", "secret") == "docker-credential-hutchtest"
    assert json.loads((env.helpers / "quay.io").read_text()) == {
        "ServerURL": "quay.io", "Username": "alice", "Secret": "secret"}
    assert cr.lookup("quay.io") == Credential("alice", "secret")
    assert cr.erase("quay.io") is True
    assert not (env.helpers / "quay.io").exists()
    assert json.loads(env.primary.read_text()) == {"credHelpers": {"quay.io": "hutchtest"}, "auths": {}}
    assert cr.erase("quay.io") is False  # the helper says "credentials not found"
    assert env.helper_log()[0].startswith('store {"ServerURL":"quay.io"')
    assert env.helper_log()[-2:] == ["erase quay.io", "erase quay.io"]


def test_erase(env: Env) -> None:
    assert cr.erase("quay.io") is False  # no file at all
    _put(env.primary, {"auths": {"quay.io": _auth("a", "a"), "https://quay.io": _auth("b", "b"),
                                 "quay.io/team": _auth("t", "t"), "r.io": _auth("r", "r")}})
    _put(env.docker, {"auths": {"quay.io": _auth("d", "d")}})
    assert cr.erase("quay.io") is True
    assert set(json.loads(env.primary.read_text())["auths"]) == {"quay.io/team", "r.io"}
    assert stat.S_IMODE(env.primary.stat().st_mode) == 0o600
    assert cr.erase("quay.io") is False
    assert cr.lookup("quay.io") == Credential("d", "d")  # docker's own file is left alone
    assert cr.erase("quay.io/team") is True
    assert set(json.loads(env.primary.read_text())["auths"]) == {"r.io"}


@pytest.mark.parametrize(("server", "key"), [
    ("quay.io", "quay.io"), ("https://quay.io", "quay.io"), ("https://quay.io/v2/", "quay.io"),
    ("http://localhost:5000/", "localhost:5000"), ("https://index.docker.io/v1/", "docker.io"),
    ("registry-1.docker.io", "docker.io"), ("quay.io/team/app/", "quay.io/team/app"),
    ("docker.io/me", "docker.io/me"),
])
def test_normalize_key(server: str, key: str) -> None:
    assert cr.normalize_key(server) == key


@pytest.mark.parametrize("server", ["", "https://", "a b", "/quay.io"])
def test_normalize_key_refuses(server: str) -> None:
    with pytest.raises(InvalidArgument):
        cr.normalize_key(server)


@pytest.mark.skipif(not shutil.which("podman"), reason="podman is not installed")
def test_podman_reads_what_hutch_writes_and_back(env: Env, tmp_path: Path) -> None:
    authfile = str(tmp_path / "interop/auth.json")
    cr.store("localhost:5000", "alice", "pw", authfile=authfile)
    cr.store("quay.io/team", "teamuser", "pw", authfile=authfile)

    def podman(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["podman", *args, "--authfile", authfile], capture_output=True, text=True,
                              timeout=60, check=False)

    assert podman("login", "--get-login", "localhost:5000").stdout.strip() == "alice"
    assert podman("login", "--get-login", "quay.io/team").stdout.strip() == "teamuser"
    assert podman("logout", "localhost:5000").returncode == 0  # podman rewrites the file...
    assert cr.lookup("localhost:5000", authfile=authfile) is None  # ...and hutch reads it
    assert cr.lookup("quay.io", "team/app", authfile=authfile) == Credential("teamuser", "pw")
