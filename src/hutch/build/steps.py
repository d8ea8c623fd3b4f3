"""What each Dockerfile instruction does to a stage's state, docker's (buildkit's) rules.

A stage's `State` is the image being made: its layers, its config (the image config's
``config`` section: Env, Cmd, Entrypoint, WorkingDir, User, ...), its history, and what only
the build sees: the ARGs in effect and the SHELL. The instructions that change only the config
(ENV, LABEL, CMD, ENTRYPOINT, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK, SHELL,
ONBUILD, ARG, MAINTAINER) are applied here, with docker's variable expansion for the ones
docker expands (ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ARG); RUN, COPY and ADD
make layers (hutch.build.builder).
"""

from __future__ import annotations

import json

from hutch.build import words
from hutch.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.build.dockerfile import Instruction

DEFAULT_SHELL = ["/bin/sh", "-c"]
#: the build args docker knows without an ARG (its proxies), left out of the image's history
PREDEFINED_ARGS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                   "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")
#: a layer: (blob digest, size, media type, diff id)
Layer = tuple[str, int, str, str]


class State:
    """One stage's image as it is being made."""

    __slots__ = ("args", "cmd_set", "config", "layers", "shell", "used_args")

    def __init__(self, config: dict[str, Any], layers: list[Layer]) -> None:
        self.config = config          # the whole image config (architecture, os, config, history...)
        self.layers = layers
        self.args: dict[str, str] = {}  # the ARGs in effect, with their values
        self.used_args: set[str] = set()
        self.cmd_set = False  # (a CMD in this stage: an ENTRYPOINT after it keeps it)
        self.shell = list(self.inner.get("Shell") or DEFAULT_SHELL)

    @property
    def inner(self) -> dict[str, Any]:
        inner: dict[str, Any] = self.config.setdefault("config", {})
        return inner

    def env(self) -> dict[str, str]:
        """The image's Env as a mapping (later entries win, as the kernel's execve sees them)."""
        out: dict[str, str] = {}
        for item in self.inner.get("Env") or []:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out

    def expansion_env(self) -> dict[str, str]:
        """What ``$VAR`` means in an instruction: the ARGs, then the image's Env over them
        (docker: ENV wins over ARG of the same name)."""
        return {**self.args, **self.env()}

    def run_env(self) -> list[str]:
        """A RUN's environment: the ARGs (not kept in the image) and the Env."""
        merged = {**self.args, **self.env()}
        return [f"{k}={v}" for k, v in merged.items()]

    def set_env(self, pairs: list[tuple[str, str]]) -> None:
        env = self.env()
        for key, value in pairs:
            env[key] = value
        self.inner["Env"] = [f"{k}={v}" for k, v in env.items()]


def history(state: State, created: str, created_by: str, *, empty: bool) -> None:
    entry: dict[str, Any] = {"created": created, "created_by": created_by,
                             "comment": "buildkit.dockerfile.v0"}
    if empty:
        entry["empty_layer"] = True
    state.config["history"] = [*state.config.get("history", []), entry]
    state.config["created"] = created


def shell_or_exec(ins: Instruction, shell: list[str]) -> list[str]:
    """RUN, CMD and ENTRYPOINT's argv: the exec form as written, the shell form with SHELL."""
    if ins.json is not None:
        return list(ins.json)
    return [*shell, ins.rest]


def apply(state: State, ins: Instruction, escape: str, build_args: dict[str, str]) -> str:
    """Apply a config-only instruction; what docker's history says it did (its created_by)."""
    cmd, env = ins.cmd, state.expansion_env()
    inner = state.inner
    if cmd == "ENV":
        pairs = [(k, v or "") for k, v in words.pairs(ins.rest, env, escape, cmd="ENV")]
        if not pairs:
            raise InvalidArgument("ENV requires at least one argument")
        state.set_env(pairs)
        return "ENV " + " ".join(f"{k}={v}" for k, v in pairs)
    if cmd == "LABEL":
        labels = dict(inner.get("Labels") or {})
        pairs = [(k, v or "") for k, v in words.pairs(ins.rest, env, escape, cmd="LABEL")]
        labels.update(pairs)
        inner["Labels"] = labels
        return "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)
    if cmd == "MAINTAINER":
        author = words.expand(ins.rest, env, escape)
        state.config["author"] = author
        return "MAINTAINER " + author
    if cmd == "ARG":
        return _arg(state, ins, escape, build_args)
    if cmd in ("CMD", "ENTRYPOINT"):
        argv = shell_or_exec(ins, state.shell)
        if cmd == "CMD":
            inner["Cmd"], state.cmd_set = argv, True
        else:  # docker: an ENTRYPOINT resets the CMD the base image had
            inner["Entrypoint"] = argv
            if not state.cmd_set:
                inner.pop("Cmd", None)
        return f"{cmd} {json.dumps(argv)}"
    if cmd == "SHELL":
        if ins.json is None or not ins.json:
            raise InvalidArgument("SHELL requires the arguments to be in JSON form")
        state.shell = list(ins.json)
        inner["Shell"] = list(ins.json)
        return f"SHELL {json.dumps(ins.json)}"
    if cmd == "EXPOSE":
        ports = dict(inner.get("ExposedPorts") or {})
        for word in words.expand_words(ins.rest, env, escape):
            ports[_port(word)] = {}
        inner["ExposedPorts"] = ports
        return "EXPOSE " + " ".join(sorted(ports))
    if cmd == "VOLUME":
        paths = ins.json if ins.json is not None else words.expand_words(ins.rest, env, escape)
        if not paths or any(not p.strip() for p in paths):
            raise InvalidArgument("VOLUME specified can not be an empty string")
        vols = dict(inner.get("Volumes") or {})
        vols.update({p: {} for p in paths})
        inner["Volumes"] = vols
        return f"VOLUME {json.dumps(paths)}"
    if cmd == "USER":
        user = words.expand(ins.rest, env, escape)
        inner["User"] = user
        return "USER " + user
    if cmd == "WORKDIR":
        path = words.expand(ins.rest, env, escape)
        if not path:
            raise InvalidArgument("WORKDIR requires exactly one argument")
        import posixpath

        workdir = posixpath.normpath(posixpath.join(inner.get("WorkingDir") or "/", path))
        inner["WorkingDir"] = workdir
        return "WORKDIR " + workdir
    if cmd == "STOPSIGNAL":
        signal = words.expand(ins.rest, env, escape)
        inner["StopSignal"] = signal
        return "STOPSIGNAL " + signal
    if cmd == "HEALTHCHECK":
        from hutch.image.commit import apply_change

        flags = " ".join(f"--{k}={v}" for k, v in ins.flags.items())
        apply_change(inner, f"HEALTHCHECK {flags} {ins.rest}".replace("  ", " "))
        return f"HEALTHCHECK {json.dumps(inner['Healthcheck'])}"
    if cmd == "ONBUILD":
        inner["OnBuild"] = [*(inner.get("OnBuild") or []), ins.rest]
        return "ONBUILD " + ins.rest
    raise InvalidArgument(f"{cmd} is not a config instruction")  # (the builder's mistake)


def _arg(state: State, ins: Instruction, escape: str, build_args: dict[str, str]) -> str:
    env = state.expansion_env()
    shown = []
    for key, default in words.pairs(ins.rest, env, escape, allow_bare=True, cmd="ARG"):
        if key in build_args:
            value: str | None = build_args[key]
        else:
            value = default if default is not None else state.args.get(key)
        state.used_args.add(key)
        if value is not None:
            state.args[key] = value
        shown.append(key if default is None else f"{key}={default}")
    return "ARG " + " ".join(shown)


def _port(word: str) -> str:
    """EXPOSE's ``80``, ``80/udp``: docker's key (tcp by default); a range is refused."""
    number, _, proto = word.partition("/")
    proto = (proto or "tcp").lower()
    if not number.isdigit() or not 0 < int(number) < 65536 or proto not in ("tcp", "udp", "sctp"):
        raise InvalidArgument(f"invalid containerPort: {word}")
    return f"{int(number)}/{proto}"


def heredoc_argv(ins: Instruction, shell: list[str]) -> list[str]:
    """RUN with here-documents, buildkit's way: ``RUN <<EOF`` alone runs the body as a script
    (a ``#!`` line says with what); else the shell gets the command line and the documents as
    written, and its own here-document rules apply."""
    if ins.json is not None:
        raise InvalidArgument(f"RUN: a heredoc needs the shell form (line {ins.line})")
    [first, *more] = ins.heredocs
    words = ins.rest.split()
    if not more and len(words) == 1 and words[0].startswith("<<"):
        script = first.content()
        if not script.startswith("#!"):
            return [*shell, script]
        run = "/tmp/.hutch-heredoc-script"  # (the interpreter the script names reads it from a file)
        return [*shell, f"cat > {run} <<'HUTCH_HEREDOC_END'\n{script}HUTCH_HEREDOC_END\n"
                        f"chmod 700 {run} && {run}; code=$?; rm -f {run}; exit $code"]
    text = ins.rest + "\n" + "".join(h.body + h.name + "\n" for h in ins.heredocs)
    return [*shell, text]
