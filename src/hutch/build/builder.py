"""`hutch build`: a Dockerfile's stages run on the engine, docker's classic builder's way.

Each stage starts from its FROM image (pulled as ``--pull`` says, through the CLI's puller,
or ``scratch``) and takes its instructions in order:

- the config instructions (ENV, CMD, LABEL...) change the image's config (hutch.build.steps);
- RUN runs its command in a container of the engine (the stage's layers, its Env, WorkingDir,
  User and SHELL, the build args as environment; ``--network``), and the container's upper
  directory becomes a layer (hutch.image.commit.write_diff) when it exits 0; any other status
  fails the build with docker's words;
- COPY and ADD write their layer straight from the build context, or from another stage's
  or image's root filesystem (``--from``), read-only (hutch.build.context).

Every step has a cache key: its parent's, the instruction as expanded, and for RUN the build
args it sees, for COPY/ADD the digest of what it copies. A step whose key the cache has (and
whose image is still in the store) is not run again ("Using cache"); ``--no-cache`` runs all.
The cache is ROOT/build-cache/KEY, each file naming the manifest of the image the step made.

Output is docker's classic builder's (``Step 2/5 : RUN ...``, `` ---> Running in ID``,
``Successfully built ID``, ``Successfully tagged NAME``); ``-q`` prints the image id alone.
The final stage's image (or ``--target``'s) is tagged with every ``-t``.
"""

from __future__ import annotations

import contextlib
import json
import os

from hutch.build import layers, steps
from hutch.build.steps import Layer, State
from hutch.errors import HutchError, InvalidArgument
from hutch.image.content import sha256_of
from hutch.util import arch, atomic, timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TextIO, TypeVar

    from hutch.build.context import Ignore
    from hutch.build.dockerfile import Dockerfile, Instruction, Stage
    from hutch.engine.containers import Engine
    from hutch.image.store import Image

    T = TypeVar("T")

CONFIG_ONLY = frozenset({"ENV", "LABEL", "MAINTAINER", "ARG", "CMD", "ENTRYPOINT", "SHELL", "EXPOSE",
                         "VOLUME", "USER", "WORKDIR", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD"})


#: a step container's label: its builder (pid and start time), so a killed build's are swept
BUILDER_LABEL = "io.github.hutch.build.builder"


def _builder() -> str:
    from hutch.util.procstat import start_time

    return f"{os.getpid()} {start_time(os.getpid())}"


class BuildFailed(HutchError):
    """A step failed: docker's words, and the exit status `hutch build` gives (1)."""


class Options:
    """``capture``: a RUN's output goes to the builder's ``out`` (read from its log once it
    ends), not straight to this process's stdout and stderr (the Python API's build)."""

    __slots__ = ("build_args", "capture", "labels", "network", "no_cache", "quiet", "secrets", "tags",
                 "target")

    def __init__(self, *, tags: list[str] | None = None, build_args: dict[str, str] | None = None,
                 target: str = "", no_cache: bool = False, quiet: bool = False, network: str = "bridge",
                 labels: dict[str, str] | None = None, capture: bool = False,
                 secrets: dict[str, str] | None = None) -> None:
        self.tags, self.build_args, self.target = list(tags or []), dict(build_args or {}), target
        self.no_cache, self.quiet, self.network = no_cache, quiet, network
        self.labels, self.capture = dict(labels or {}), capture
        self.secrets = dict(secrets or {})  # a secret's id -> the file with it (RUN --mount=type=secret)


class Builder:
    """One build of ``df`` with the context directory ``context``."""

    def __init__(self, eng: Engine, df: Dockerfile, context: str, ignore: Ignore, opts: Options,
                 resolve: Callable[[str], Image], out: TextIO) -> None:
        self.eng, self.df, self.context, self.ignore, self.opts = eng, df, context, ignore, opts
        self.resolve, self.out = resolve, out
        self.cache_dir = os.path.join(eng.root, "build-cache")
        self.stages: list[tuple[State, str]] = []  # each built stage: its state and its image id
        self.step, self.total = 0, 0
        self.used: set[str] = set()

    # ---- the whole build ----------------------------------------------------------------

    def run(self) -> Image:
        self._sweep()
        last = self._target_index()
        chosen = self.df.stages[:last + 1]
        self.total = sum(1 + len(s.instructions) for s in chosen)
        meta = State({}, [])
        for ins in self.df.meta_args:  # (ARGs before FROM: for FROM lines, and as defaults later)
            steps.apply(meta, ins, self.df.escape, self.opts.build_args)
        self.used |= meta.used_args
        image = None
        for i, stage in enumerate(chosen):
            state, _key = self._stage(stage, meta)
            image = self._write(state, final=i == len(chosen) - 1)
            self.stages.append((state, image.id))
        assert image is not None
        unused = sorted(set(self.opts.build_args) - self.used - set(steps.PREDEFINED_ARGS))
        if unused:
            self._say(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed")
        for tag in self.opts.tags:
            from hutch.engine import events

            self.eng.images.tag(tag, image.manifest_digest)
            events.image(self.eng.root, "tag", image.id, tag)
        if self.opts.tags:  # (the image again, with its names)
            image = next((i for i in self.eng.images.images() if i.manifest_digest == image.manifest_digest),
                         image)
        self._say(f"Successfully built {image.id.removeprefix('sha256:')[:12]}")
        for tag in self.opts.tags:
            from hutch.image import reference

            self._say(f"Successfully tagged {reference.parse(tag).familiar()}")
        return image

    def _sweep(self) -> None:
        """Remove the step containers of builds that were killed (their builder is gone)."""
        from hutch.engine.records import alive

        for r in self.eng.records():
            owner = (r.get("labels") or {}).get(BUILDER_LABEL, "")
            pid, _, start = owner.partition(" ")
            if owner and not (pid.isdigit() and start.isdigit() and alive(int(pid), int(start))):
                self._remove(r["id"])

    def _target_index(self) -> int:
        if not self.df.stages:
            raise InvalidArgument("the Dockerfile has no FROM: no build stage in current context")
        if not self.opts.target:
            return len(self.df.stages) - 1
        from hutch.build.dockerfile import stage_index

        found = stage_index(self.df, self.opts.target)
        if found is None or not self.df.stages[found].name:
            raise InvalidArgument(f"failed to reach build target {self.opts.target} in Dockerfile")
        return found

    def _say(self, line: str) -> None:
        if not self.opts.quiet:
            self.out.write(line + "\n")
            self.out.flush()

    def _begin(self, ins: Instruction) -> None:
        self.step += 1
        self._say(f"Step {self.step}/{self.total} : {ins.original}")

    # ---- a stage ------------------------------------------------------------------------

    def _stage(self, stage: Stage, meta: State) -> tuple[State, str]:
        from hutch.build import words

        self._begin(stage.from_)
        base = words.expand(stage.base, meta.args, self.df.escape)
        state, key = self._from(base)
        state.args = {}  # (a stage sees the meta ARGs only through its own ARG lines)
        for ins in stage.instructions:
            self._begin(ins)
            if ins.cmd == "ARG":  # a stage's ARG takes the meta ARG's value as its default
                for name in self._arg_names(ins):
                    if name in meta.args and name not in state.args:
                        state.args[name] = meta.args[name]
            key = self._instruction(state, key, ins)
        self.used |= state.used_args
        for label, value in self.opts.labels.items():
            state.inner.setdefault("Labels", {})[label] = value
        return state, key

    def _arg_names(self, ins: Instruction) -> list[str]:
        from hutch.build import words

        return [k for k, _ in words.pairs(ins.rest, {}, self.df.escape, allow_bare=True)]

    def _from(self, base: str) -> tuple[State, str]:
        from hutch.build.dockerfile import stage_index

        if base == "scratch":
            config: dict[str, Any] = {"architecture": arch.goarch(), "os": "linux", "config": {},
                                      "rootfs": {"type": "layers", "diff_ids": []}, "history": []}
            self._say(" ---> <scratch>")
            return State(config, []), "scratch"
        earlier = stage_index(self.df, base)
        if earlier is not None and earlier < len(self.stages):  # FROM an earlier stage
            image = self.eng.images.get(self.stages[earlier][1])
        else:
            image = self.resolve(base)
        config = json.loads(json.dumps(image.config))
        self._say(f" ---> {_short(image.id)}")
        state = State(config, layers.layers_of(self.eng.images, image))
        for trigger in (state.inner.get("OnBuild") or []):  # docker: the base's ONBUILD triggers, now
            self._onbuild(state, image.id, str(trigger))
        state.inner.pop("OnBuild", None)
        return state, image.id

    def _onbuild(self, state: State, key: str, trigger: str) -> None:
        from hutch.build.dockerfile import parse

        self._say("# Executing 1 build trigger")
        [ins] = parse(f"FROM scratch\n{trigger}\n").stages[0].instructions
        self._instruction(state, key, ins)

    # ---- one instruction ----------------------------------------------------------------

    def _instruction(self, state: State, key: str, ins: Instruction) -> str:
        created = timefmt.now()
        if ins.cmd in CONFIG_ONLY:  # the config changes; the step's image is the cache's (no index entry)
            by = steps.apply(state, ins, self.df.escape, self.opts.build_args)
            values = [f"{k}={state.args.get(k)}" for k in self._arg_names(ins)] if ins.cmd == "ARG" else []
            key = _key(key, by, *values)
            if self._cached(state, key):
                return key
            steps.history(state, created, by, empty=True)
            image = layers.add(self.eng.images, state)
            self._remember(key, image)
            self._say(f" ---> {_short(image.id)}")
            return key
        if ins.cmd == "RUN":
            return self._run(state, key, ins, created)
        if ins.cmd in ("COPY", "ADD"):
            return self._copy(state, key, ins, created)
        raise InvalidArgument(f"{ins.cmd} is not supported by hutch build (line {ins.line})")

    def _cached(self, state: State, key: str) -> bool:
        """Take the step's image from the cache, if it has one that is still in the store."""
        if self.opts.no_cache:
            return False
        try:
            with open(os.path.join(self.cache_dir, key.removeprefix("sha256:"))) as f:
                digest = f.read().strip()
            from hutch.image.store import Image as StoreImage

            image = StoreImage(self.eng.images, digest, [])
            config = json.loads(json.dumps(image.config))
            got = layers.layers_of(self.eng.images, image)
        except (OSError, ValueError, HutchError):
            return False
        state.config, state.layers = config, got
        self._say(" ---> Using cache")
        self._say(f" ---> {_short(image.id)}")
        return True

    def _remember(self, key: str, image: Image) -> None:
        os.makedirs(self.cache_dir, exist_ok=True)
        atomic.write(os.path.join(self.cache_dir, key.removeprefix("sha256:")),
                     image.manifest_digest.encode(), 0o644)

    def _run(self, state: State, key: str, ins: Instruction, created: str) -> str:
        from hutch.build import runmounts, words

        argv = steps.heredoc_argv(ins, state.shell) if ins.heredocs else steps.shell_or_exec(ins, state.shell)
        workdir = str(state.inner.get("WorkingDir") or "/")
        expand = state.expansion_env()
        mounts = [runmounts.parse(words.expand(value, expand, self.df.escape), workdir)
                  for flag, value in ins.flag_list if flag == "mount"]
        network = ins.flags.get("network", "default")
        if network not in ("default", "none", "host"):
            raise InvalidArgument(f"RUN --network={network}: use default, none or host (line {ins.line})")
        if "security" in ins.flags and ins.flags["security"] != "sandbox":
            raise InvalidArgument(f"RUN --security={ins.flags['security']} is not supported by hutch build "
                                  f"(line {ins.line})")
        if "device" in ins.flags:
            raise InvalidArgument(f"RUN --device is not supported by hutch build (line {ins.line})")
        env = state.run_env()
        binds = [runmounts.bind_digest(self.context, m.source) for m in mounts if m.kind == "bind"]
        key = _key(key, "RUN " + json.dumps(argv), *sorted(f"{k}={v}" for k, v in state.args.items()),
                   *(repr(m) for m in mounts), network, *binds)
        state.used_args |= set(state.args)
        by = "RUN " + " ".join(argv) + " # buildkit"
        if self._cached(state, key):
            return key
        base = self._layer_image(state)
        from hutch.engine.request import CreateRequest

        binds_flags, tmpfs = runmounts.engine_flags(mounts, context=self.context,
                                                    cache_root=os.path.join(self.eng.root, "build-mounts"),
                                                    secrets=self.opts.secrets)
        req = CreateRequest.parse(base.id, command=argv, entrypoint=[], env=env, workdir=workdir,
                                  user=str(state.inner.get("User") or ""),
                                  network=self.opts.network if network == "default" else network,
                                  mounts=binds_flags, tmpfs=tmpfs, labels={BUILDER_LABEL: _builder()})
        record = self.eng.create(req)
        cid = record["id"]
        try:
            self._say(f" ---> Running in {cid[:12]}")
            started = self.eng.start(record, attach=True)
            code = self.eng.attached(started, stdin=False, tty=False,
                                     streams=frozenset() if self.opts.quiet or self.opts.capture else None)
            if self.opts.capture and not self.opts.quiet:
                from hutch.engine import jsonlog

                for _stream, _time, text in jsonlog.read(self.eng.log_path(record)):
                    self.out.write(text)
            if code != 0:
                raise BuildFailed(f"The command '{' '.join(argv)}' returned a non-zero code: {code}")
            upper = self.eng.layout(cid).upper
            if mounts:  # (the mounts are not the layer's: nor the points they were mounted on)
                dirs = layers.snapshot_dirs(self.eng.images, state.layers)
                runmounts.unmade_mountpoints(upper, mounts, lambda p: layers.exists(dirs, p))
            layer = layers.diff(self.eng.images, upper)
        finally:
            self._remove(cid)
        self._say(f"Removing intermediate container {cid[:12]}")
        return self._commit(state, key, layer, created, by)

    def _remove(self, cid: str) -> None:
        with contextlib.suppress(HutchError):
            self.eng.remove(cid, force=True, volumes=True)

    def _copy(self, state: State, key: str, ins: Instruction, created: str) -> str:
        from hutch.build import context, copylayer, words

        env = state.expansion_env()
        args = ins.json if ins.json is not None else words.expand_words(ins.rest, env, self.df.escape)
        if ins.heredocs:  # COPY <<EOF /dest: the bodies are the sources (a directory of their own)
            return self._copy_heredocs(state, key, ins, created, args, env)
        if len(args) < 2:
            raise InvalidArgument(f"{ins.cmd} requires at least two arguments, but only one was provided. "
                                  f"Destination could not be determined")
        srcs, dest = list(args[:-1]), args[-1]
        for unsupported in ("link", "parents", "exclude", "checksum", "keep-git-dir"):
            if unsupported in ins.flags and unsupported != "link":  # (--link: the same layer here)
                raise InvalidArgument(f"{ins.cmd} --{unsupported} is not supported by hutch build")
        if ins.cmd == "ADD" and any("://" in s for s in srcs):
            raise InvalidArgument("ADD from a URL is not supported by hutch build: download it in a RUN")
        chown = self._chown(state, words.expand(ins.flags["chown"], env, self.df.escape)) \
            if "chown" in ins.flags else None
        chmod = int(ins.flags["chmod"], 8) if "chmod" in ins.flags else None
        workdir = str(state.inner.get("WorkingDir") or "/")
        source = self._source(ins.flags.get("from", ""))

        def look(root: str, ignore: Ignore | None) -> tuple[list[str], str]:
            found = context.sources(root, srcs, ignore)
            return found, copylayer.digest(root, found, ignore)

        found, content = self._in_source(source, look)
        key = _key(key, f"{ins.cmd} {json.dumps(srcs)} {dest} {workdir} {chown} {chmod}", content)
        by = f"{ins.cmd} {' '.join(srcs)} {dest} # buildkit"
        if self._cached(state, key):
            return key
        dirs = layers.snapshot_dirs(self.eng.images, state.layers)

        def write(root: str, ignore: Ignore | None) -> Layer:
            return layers.written(self.eng.images, lambda out: copylayer.write_layer(
                out, root, found, dest, workdir=workdir, chown=chown, chmod=chmod, ignore=ignore,
                exists=lambda p: layers.exists(dirs, p), is_dir=lambda p: layers.is_dir(dirs, p),
                extract=ins.cmd == "ADD", keep_owners=source is not None))

        layer = self._in_source(source, write)
        return self._commit(state, key, layer, created, by)

    def _copy_heredocs(self, state: State, key: str, ins: Instruction, created: str, args: list[str],
                       env: dict[str, str]) -> str:
        import tempfile

        from hutch.build import copylayer, words

        bodies = {h.name: (words.expand(h.content(), env, self.df.escape, quotes=False) if h.expand
                           else h.content()) for h in ins.heredocs}
        srcs = [a[2:].lstrip("-").strip("'\"") if a.startswith("<<") else a for a in args[:-1]]
        if any(name not in bodies for name in srcs):
            raise InvalidArgument(f"{ins.cmd}: heredocs and files from the context in one instruction are "
                                  f"not supported by hutch build (line {ins.line})")
        dest, workdir = args[-1], str(state.inner.get("WorkingDir") or "/")
        key = _key(key, f"{ins.cmd} heredoc {json.dumps([bodies[n] for n in srcs])} {dest} {workdir}")
        by = f"{ins.cmd} {' '.join(args)} # buildkit"
        if self._cached(state, key):
            return key
        dirs = layers.snapshot_dirs(self.eng.images, state.layers)
        with tempfile.TemporaryDirectory(prefix="hutch-heredoc-") as top:
            for name in srcs:
                with open(os.path.join(top, name), "w", encoding="utf-8") as f:
                    f.write(bodies[name])
                os.chmod(os.path.join(top, name), 0o644)
            layer = layers.written(self.eng.images, lambda out: copylayer.write_layer(
                out, top, srcs, dest, workdir=workdir,
                exists=lambda p: layers.exists(dirs, p), is_dir=lambda p: layers.is_dir(dirs, p)))
        return self._commit(state, key, layer, created, by)

    def _source(self, ref: str) -> list[str] | None:
        """COPY's sources: the context (None), or ``--from``'s stage or image: its layers."""
        if not ref:
            return None
        from hutch.build.dockerfile import stage_index

        i = stage_index(self.df, ref)
        if i is not None and i < len(self.stages):
            image = self.eng.images.get(self.stages[i][1])
        elif i is not None:
            raise InvalidArgument(f"COPY --from={ref}: the stage comes after this one")
        else:
            image = self.resolve(ref)
        return self.eng.images.snapshot_dirs(image)

    def _in_source(self, layers: list[str] | None, fn: Callable[[str, Ignore | None], T]) -> T:
        """``fn(root, ignore)``: on the context, or in a read-only view of ``layers``."""
        if layers is None:
            return fn(self.context, self.ignore)
        from hutch.build.rootview import in_view

        return in_view(layers, os.path.join(self.eng.root, "build-view"), fn, None)

    def _chown(self, state: State, spec: str) -> tuple[int, int]:
        from hutch.engine import users

        user, _, group = spec.partition(":")
        dirs = layers.snapshot_dirs(self.eng.images, state.layers)
        got = users.resolve(user, dirs)
        uid, gid = int(got["uid"]), int(got["gid"])
        if group:
            gid = users.group_id(group, dirs)
        elif user.isdigit():
            gid = uid  # (docker: --chown=1000 is 1000:1000)
        return uid, gid

    def _commit(self, state: State, key: str, layer: Layer, created: str, by: str) -> str:
        state.layers = [*state.layers, layer]
        state.config.setdefault("rootfs", {"type": "layers"})["diff_ids"] = [d for *_, d in state.layers]
        steps.history(state, created, by, empty=False)
        image = layers.add(self.eng.images, state)
        self.eng.images.keep_untagged(image.manifest_digest, intermediate=True)
        self._remember(key, image)
        self._say(f" ---> {_short(image.id)}")
        return key

    def _layer_image(self, state: State) -> Image:
        """An image with the state's layers (for a RUN's container): the state written, listed
        as a build step's image."""
        if not state.layers:
            raise InvalidArgument("RUN needs a root filesystem: FROM scratch has none until a COPY")
        image = layers.add(self.eng.images, state)
        self.eng.images.keep_untagged(image.manifest_digest, intermediate=True)
        return image

    def _write(self, state: State, *, final: bool) -> Image:
        """A stage's image: the build's (``final``: docker's <none>:<none> until tagged), or an
        earlier stage's, listed as a step image (images -a)."""
        image = layers.add(self.eng.images, state)
        self.eng.images.keep_untagged(image.manifest_digest, intermediate=not final)
        return image

def _key(parent: str, *parts: str) -> str:
    return sha256_of("\n".join([parent, *parts]).encode())


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]

