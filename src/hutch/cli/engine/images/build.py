"""`hutch build` (and `image build`): an image from a Dockerfile and a build context directory,
docker's flags and its classic builder's output (hutch.build.builder)."""

from __future__ import annotations

import os
import sys

from hutch.cli.engine.images.registry import registry_flags
from hutch.errors import HutchError, InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.build.context import Ignore
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.image.store import Image


def flags(p: Parser) -> None:
    p.add_argument("-t", "--tag", action="append", default=[], help="Name and optionally a tag (name:tag)")
    p.add_argument("-f", "--file", default="", help="Name of the Dockerfile (default: PATH/Dockerfile)")
    p.add_argument("--build-arg", action="append", default=[], help="Set build-time variables (KEY=VALUE)")
    p.add_argument("--target", default="", help="Set the target build stage to build")
    p.add_argument("--no-cache", action="store_true", help="Do not use cache when building the image")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress the build output and print image ID "
                                                              "on success")
    p.add_argument("--network", default="bridge", help="Set the networking mode for the RUN instructions")
    p.add_argument("--label", action="append", default=[], help="Set metadata for an image (KEY=VALUE)")
    p.add_argument("--pull", action="store_true", help="Always attempt to pull a newer version of the image")
    p.add_argument("--rm", default="true", choices=["true", "false"],
                   help="Remove intermediate containers after a successful build (always: true)")
    p.add_argument("--force-rm", action="store_true", help="Always remove intermediate containers")
    p.add_argument("--platform", default=None, help="Set platform if server is multi-platform capable")
    p.add_argument("--iidfile", default="", help="Write the image ID to the file")
    p.add_argument("--secret", action="append", default=[],
                   help="Secret to expose to RUN --mount=type=secret (id=ID,src=FILE or id=ID,env=VAR)")
    registry_flags(p)
    p.add_argument("path", metavar="PATH")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.build import context, dockerfile
    from hutch.build.builder import Builder, Options

    if "://" in a.path or a.path.startswith("git@"):
        raise InvalidArgument("hutch build takes a context directory, or - for a Dockerfile alone (not a "
                              "URL)")
    if a.path != "-" and not os.path.isdir(a.path):
        raise InvalidArgument(f'unable to prepare context: path "{a.path}" not found')
    if a.path == "-" and a.file:
        raise InvalidArgument("the Dockerfile comes from standard input with -: no -f")
    name = "-" if a.path == "-" else a.file or os.path.join(a.path, "Dockerfile")
    try:
        if name == "-":  # (`build - < Dockerfile`: no context, as docker's; or `-f -`)
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8") as f:
                text = f.read()
    except FileNotFoundError:
        raise InvalidArgument(f"failed to read dockerfile: open {name}: no such file or directory") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidArgument(f"failed to read dockerfile {name}: {err}") from None
    df = dockerfile.parse(text)
    opts = Options(tags=a.tag, build_args=_pairs(a.build_arg, "--build-arg", os.environ),
                   target=a.target, no_cache=a.no_cache, quiet=a.quiet, network=a.network,
                   labels=_pairs(a.label, "--label", None))
    for tag in a.tag:
        from hutch.image import reference

        reference.parse(tag)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hutch-build-") as empty, \
            tempfile.TemporaryDirectory(prefix="hutch-secrets-") as scratch:
        top = empty if a.path == "-" else a.path
        ignore = context.load_ignore(top)
        if not a.quiet:
            size = _context_size(top, ignore)
            from hutch.util.units import human_size

            sys.stdout.write(f"Sending build context to Docker daemon  {human_size(size)}\n")
        opts.secrets = _secrets(a.secret, scratch)
        image = Builder(eng, df, os.path.abspath(top), ignore, opts, lambda ref: _resolve(eng, a, ref),
                        sys.stdout).run()
    if a.quiet:
        sys.stdout.write(image.id + "\n")
    if a.iidfile:
        from hutch.util import atomic

        atomic.write(a.iidfile, image.id.encode(), 0o644)
    return 0


def _pairs(items: list[str], flag: str, host: dict[str, str] | os._Environ[str] | None) -> dict[str, str]:
    """KEY=VALUE items; a bare KEY takes the host's value (docker's --build-arg), if it has one."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid {flag} {item!r}: use KEY=VALUE")
        if not sep:
            if host is None or key not in host:
                continue
            value = host[key]
        out[key] = value
    return out


def _secrets(specs: list[str], scratch: str) -> dict[str, str]:
    """--secret values (buildx's: id=ID,src=FILE | id=ID,env=VAR | id=ID, the variable ID):
    id -> a file with the secret (an env's written, 0600, under ``scratch``, gone after)."""
    out = {}
    for spec in specs:
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        ident = fields.get("id", "")
        if not ident or set(fields) - {"id", "src", "source", "env", "type"}:
            raise InvalidArgument(f"invalid --secret {spec!r}: use id=ID,src=FILE or id=ID,env=VAR")
        src = fields.get("src") or fields.get("source") or ""
        if src:
            if not os.path.isfile(src):
                raise InvalidArgument(f"invalid --secret {spec!r}: {src} is not a file")
            out[ident] = os.path.abspath(src)
            continue
        var = fields.get("env") or ident
        if var not in os.environ:
            raise InvalidArgument(f"invalid --secret {spec!r}: no environment variable {var}")
        path = os.path.join(scratch, f"secret-{len(out)}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.environ[var])
        out[ident] = path
    return out


def _context_size(path: str, ignore: Ignore) -> int:
    """The bytes of the context's files that .dockerignore leaves in (what docker sends)."""
    total = 0
    top = os.path.abspath(path)
    excluded = ignore.excluded
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        for name in filenames:
            p = name if rel == "." else f"{rel}/{name}"
            if not excluded(p):
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except OSError:
                    pass
        dirnames.sort()
    return total


def _resolve(eng: Engine, a: Namespace, ref: str) -> Image:
    """A FROM's (or COPY --from's) image, pulled as --pull says (docker's output)."""
    from hutch.cli.engine.images import pull as images_pull
    from hutch.image.store import ImageNotFound

    if not a.pull:
        try:
            return eng.images.get(images_pull.resolve_local(eng, ref))
        except ImageNotFound:
            pass
    try:
        done = images_pull.pull_image(eng, a, ref, sys.stdout, a.quiet)
    except HutchError as err:
        raise HutchError(f"failed to resolve source metadata for {ref}: {err}") from err
    return eng.images.get(str(done.ref))
