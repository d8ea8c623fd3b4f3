"""`hutch pull`, `push`, `login`, `logout`, and the flags of `images` (merged into
hutch.cli.engine's parser and COMMANDS table; `image pull|push|ls` share them)."""

from __future__ import annotations

import argparse
import sys

from hutch.cli.fmt import ago as _ago
from hutch.cli.fmt import size as _size
from hutch.cli.fmt import table as _table
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TextIO

    from hutch.engine.containers import Engine
    from hutch.image.reference import Reference
    from hutch.image.registry.pull import Pulled
    from hutch.image.registry.session import Session


def images_flags(p: argparse.ArgumentParser) -> None:
    """`images` and `image ls`."""
    p.add_argument("-q", "--quiet", action="store_true", help="only the image ids")
    p.add_argument("--digests", action="store_true", help="show the digests")
    p.add_argument("--no-trunc", action="store_true", help="do not shorten the image ids")
    p.add_argument("repository", nargs="?", default="", help="only the images of REPOSITORY[:TAG]")


def registry_flags(p: argparse.ArgumentParser) -> None:
    """How to reach registries (podman's flags): pull, push, login, run and create."""
    p.add_argument("--tls-verify", default=None, choices=["true", "false"],
                   help="require HTTPS with a verified certificate (default: unless registries.conf or "
                        "a loopback address makes the registry insecure)")
    p.add_argument("--cert-dir", default=None, help="a directory of certificates (*.crt CAs, *.cert/*.key "
                                                    "client pairs) instead of certs.d's")
    p.add_argument("--authfile", default=None, help="the credentials file (default: containers' auth.json)")


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    pull = sub.add_parser("pull", help="download an image from a registry")
    pull_flags(pull)
    push = sub.add_parser("push", help="upload an image to a registry")
    push_flags(push)
    login = sub.add_parser("login", help="log in to a registry")
    login.add_argument("-u", "--username", default=None)
    login.add_argument("-p", "--password", default=None)
    login.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    registry_flags(login)
    login.add_argument("registry", nargs="?", default="docker.io")
    logout = sub.add_parser("logout", help="log out from a registry")
    logout.add_argument("--authfile", default=None)
    logout.add_argument("registry", nargs="?", default="docker.io")


def pull_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print only the image's name")
    p.add_argument("-a", "--all-tags", action="store_true", help="every tagged image of the repository")
    p.add_argument("--platform", default=None, help="OS/ARCH[/VARIANT] (default: this host's)")
    p.add_argument("--max-concurrent-downloads", type=int, default=3, help="layers downloaded at once")
    registry_flags(p)
    p.add_argument("ref", metavar="NAME[:TAG|@DIGEST]")


def push_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print only the digest")
    p.add_argument("--chunk-size", type=int, default=0, help="upload in chunks of this many bytes "
                                                              "(default: each blob in one request)")
    registry_flags(p)
    p.add_argument("image", metavar="NAME[:TAG]")
    p.add_argument("dest", nargs="?", default=None, metavar="DESTINATION")


def session(a: argparse.Namespace) -> Session:
    from hutch.image.registry.session import Session

    tls = None if getattr(a, "tls_verify", None) is None else a.tls_verify == "true"
    return Session(tls_verify=tls, cert_dir=getattr(a, "cert_dir", None),
                   authfile=getattr(a, "authfile", None))


def pull_image(eng: Engine, a: argparse.Namespace, ref: str, out: TextIO, quiet: bool = False) -> Pulled:
    """Pull ``ref`` with docker's output on ``out``; what was pulled (``.image``, and ``.ref``:
    the reference it was found as, a search registry's for a short name)."""
    from hutch.image.registry.progress import Progress
    from hutch.image.registry.pull import pull

    progress = Progress(out, quiet=quiet)
    from hutch.image import reference

    given = reference.parse(ref, default_tag=False)
    if not given.tag and not given.digest:
        progress.message("Using default tag: latest")
    s = session(a)
    try:
        done = pull(eng.images, s, ref, progress, platform=getattr(a, "platform", None),
                    max_concurrent=getattr(a, "max_concurrent_downloads", 3))
    finally:
        s.close()
    target = done.ref.with_digest(done.ref.digest) if done.ref.digest else done.ref
    progress.message(f"Digest: {done.digest}")
    word = "Downloaded newer image" if done.fresh else "Image is up to date"
    progress.message(f"Status: {word} for {target.familiar()}")
    return done


def resolve_local(eng: Engine, ref: str) -> str:
    """The name the store has ``ref`` under: itself (docker's rules: ``busybox`` is
    ``docker.io/library/busybox:latest``), else, for a short name, the first of its
    unqualified-search-registries candidates that the store has (podman's rule).
    ImageNotFound if none."""
    from hutch.image.store import ImageNotFound

    try:
        eng.images.get(ref)
        return ref
    except ImageNotFound:
        pass
    from hutch.image.registry.config import RegistriesConf
    from hutch.image.registry.pull import candidates

    try:
        names = [str(c) for c in candidates(ref, RegistriesConf.load().search)]
    except HutchError:
        raise ImageNotFound(ref) from None
    for name in names:
        try:
            eng.images.get(name)
            return name
        except ImageNotFound:
            continue
    raise ImageNotFound(ref)


def _pull(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.image import reference

    if a.max_concurrent_downloads < 1:
        raise HutchError(f"invalid --max-concurrent-downloads {a.max_concurrent_downloads}: at least 1")
    refs = [a.ref]
    if a.all_tags:
        r = reference.parse(a.ref, default_tag=False)
        if r.tag or r.digest:
            raise HutchError("tag can't be used with --all-tags/-a")
        refs = [str(r.with_tag(t)) for t in sorted(_tags(a, r))]
    for ref in refs:
        print(str(pull_image(eng, a, ref, sys.stdout, a.quiet).ref))
    return 0


def _tags(a: argparse.Namespace, r: Reference) -> list[str]:
    s = session(a)
    try:
        endpoint = s.endpoints(r.name)[-1]
        return s.repository(endpoint).tags()
    finally:
        s.close()


def _push(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.image.registry.progress import Progress
    from hutch.image.registry.push import push

    s = session(a)
    try:
        digest = push(eng.images, s, a.image, a.dest, Progress(sys.stdout, quiet=a.quiet), chunk=a.chunk_size)
    finally:
        s.close()
    if a.quiet:
        print(digest)
    return 0


def login_registry(value: str) -> str:
    """docker's ways of naming a registry to log in to: ``https://host/v1/`` is ``host``,
    ``index.docker.io`` is ``docker.io``."""
    value = value.strip()
    for scheme in ("https://", "http://"):
        value = value.removeprefix(scheme)
    value = value.split("/", 1)[0]
    if value in ("index.docker.io", "registry-1.docker.io"):
        value = "docker.io"
    if not value:
        raise HutchError("login: no registry given")
    return value


def _login(eng: Engine, a: argparse.Namespace) -> int:
    import getpass

    from hutch.image.registry.credentials import Credential, store
    from hutch.image.registry.login import check

    registry = login_registry(a.registry)
    if a.password is not None and a.password_stdin:
        raise HutchError("--password and --password-stdin are mutually exclusive")
    username = a.username
    if username is None:
        if a.password_stdin:
            raise HutchError("must provide --username with --password-stdin")
        username = input("Username: ").strip()
    password = a.password
    if a.password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    elif password is None:
        password = getpass.getpass("Password: ")
    else:
        sys.stderr.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
    if not username or not password:
        raise HutchError("login: a username and a password are needed")
    s = session(a)
    try:
        check(s, registry, Credential(username, password, ""))
    finally:
        s.close()
    store(registry, username, password, a.authfile)
    print("Login Succeeded")
    return 0


def _logout(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.image.registry.credentials import erase

    registry = login_registry(a.registry)
    if erase(registry, a.authfile):
        print(f"Removing login credentials for {registry}")
    else:
        print(f"Not logged in to {registry}")
    return 0


def _images(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.image import reference

    head = ["REPOSITORY", "TAG", *(["DIGEST"] if a.digests else []), "IMAGE ID", "CREATED", "SIZE"]
    rows = [head]
    want = reference.parse(a.repository, default_tag=False) if a.repository else None
    for image in eng.images.images():
        short = image.id if a.no_trunc else image.id.removeprefix("sha256:")[:12]
        named = [reference.parse(n) for n in image.names] or \
            [reference.parse(d).with_tag("") for d in image.repo_digests]
        if want is not None:
            named = [r for r in named if r.name == want.name and (not want.tag or r.tag == want.tag)]
            if not named:
                continue
        if a.quiet:
            print(short)
            continue
        created, size = _ago(str(image.config.get("created", ""))), _size(image.size)
        rowrefs: list[reference.Reference | None] = [*named] or [None]
        for r in rowrefs:
            repo, tag = (reference.familiar_name(r.name), r.tag or "<none>") if r else ("<none>", "<none>")
            digest = [d.partition("@")[2] for d in image.repo_digests if r and d.startswith(r.name + "@")]
            rows.append([repo, tag, *([digest[0] if digest else "<none>"] if a.digests else []),
                         short, created, size])
    if not a.quiet:
        sys.stdout.write(_table(rows))
    return 0


def _rmi(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine.rmi import remove_image

    code = 0
    for ref in a.images:
        try:
            for line in remove_image(eng, ref, force=a.force):
                print(line)
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code


def _image(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine import inspect

    if a.command == "image" and a.image_command != "inspect":
        raise HutchError("image: use `hutch image inspect IMAGE`")
    docs, code = [], 0
    for ref in a.images if a.command == "image" else a.objects:
        try:
            if a.command == "inspect":
                try:
                    docs.append(inspect.container(eng, eng.find(ref)))
                    continue
                except HutchError:
                    pass
            docs.append(inspect.image(eng.images.get(ref)))
        except HutchError:
            sys.stderr.write(f"Error: No such object: {ref}\n")
            code = 1
    import json

    sys.stdout.write(json.dumps(docs, indent=4) + "\n")
    return code


COMMANDS: dict[str, Callable[[Engine, argparse.Namespace], int]] = {
    "pull": _pull,
    "push": _push,
    "login": _login,
    "logout": _logout,
    "images": _images,
    "rmi": _rmi,
    "inspect": _image,  # docker's `inspect` (a container, else an image) and `image inspect`
}
