"""`hutch build`: Dockerfiles built on real containers (busybox), the images run and checked
from inside; docker's classic builder's output, cache and errors are the reference."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, hutch  # noqa: F401

pytestmark = pytest.mark.root


def _context(tmp_path: Path, dockerfile: str, files: dict[str, str] | None = None) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir(parents=True, exist_ok=True)
    (ctx / "Dockerfile").write_text(textwrap.dedent(dockerfile).lstrip())
    for name, text in (files or {}).items():
        (ctx / name).parent.mkdir(parents=True, exist_ok=True)
        (ctx / name).write_text(text)
    return ctx


def _config(h: Hutch, ref: str) -> dict[str, object]:
    doc: dict[str, object] = json.loads(h("image", "inspect", ref).stdout)[0]["Config"]
    return doc


def test_a_dockerfile_becomes_an_image(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    ctx = _context(tmp_path, """
        FROM hbox:1
        ENV A=1 B="two words"
        WORKDIR /app
        COPY f.txt .
        COPY dir/ d/
        RUN echo "$A $B $(cat f.txt) $(cat d/g.txt)" > out && cat out
        LABEL k=v
        EXPOSE 80 53/udp
        USER 65534
        CMD ["cat", "/app/out"]
        """, {"f.txt": "F", "dir/g.txt": "G"})
    r = hutch("build", "--network", "none", "-t", "built:1", str(ctx))
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Sending build context to Docker daemon")
    assert lines[1] == "Step 1/10 : FROM hbox:1", lines
    assert "Step 6/10 : RUN echo \"$A $B $(cat f.txt) $(cat d/g.txt)\" > out && cat out" in lines
    assert "1 two words F G" in lines  # (the RUN's output, as it ran)
    assert lines[-2].startswith("Successfully built ") and lines[-1] == "Successfully tagged built:1", lines
    assert hutch("run", "--rm", "--network", "none", "built:1").stdout == "1 two words F G\n"
    cfg = _config(hutch, "built:1")
    assert "A=1" in cfg["Env"] and "B=two words" in cfg["Env"]  # type: ignore[operator]
    assert (cfg["WorkingDir"], cfg["User"], cfg["Cmd"]) == ("/app", "65534", ["cat", "/app/out"])
    assert cfg["Labels"] == {"k": "v"} and cfg["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    who = hutch("run", "--rm", "--network", "none", "built:1", "sh", "-c", "id -u; stat -c %u:%g f.txt; pwd")
    assert who.stdout.split() == ["65534", "0:0", "/app"]
    history = json.loads(hutch("image", "inspect", "built:1").stdout)[0]
    assert len(history["RootFS"]["Layers"]) == 1 + 3  # (hbox's, two COPYs, one RUN)
    assert hutch("ps", "-a", "-q").stdout == ""  # (no intermediate container left)


def test_the_cache(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    ctx = _context(tmp_path, """
        FROM hbox:1
        COPY f.txt /f.txt
        RUN cat /f.txt > /copy
        CMD ["cat", "/copy"]
        """, {"f.txt": "one"})
    first = hutch("build", "--network", "none", "-q", str(ctx)).stdout.strip()
    assert first.startswith("sha256:") and len(first) == 71
    again = hutch("build", "--network", "none", str(ctx)).stdout
    assert again.count(" ---> Using cache") == 3 and "Running in" not in again, again
    assert f"Successfully built {first[7:19]}" in again
    (ctx / "f.txt").write_text("two")  # COPY's content changed: it and what follows run again
    changed = hutch("build", "--network", "none", "-t", "c:2", str(ctx)).stdout
    assert "Using cache" not in changed and "Running in" in changed, changed
    assert hutch("run", "--rm", "--network", "none", "c:2").stdout == "two"
    nocache = hutch("build", "--network", "none", "--no-cache", str(ctx)).stdout
    assert "Using cache" not in nocache
    # the step images: listed with -a only, kept by `image prune`, gone with `image prune -a`
    shown, every = hutch("images", "-q").stdout.split(), hutch("images", "-a", "-q").stdout.split()
    assert len(every) > len(shown) and set(shown) <= set(every)
    hutch("image", "prune", "-f")  # (the untagged builds are dangling: gone; the steps stay)
    assert set(every) - set(shown) <= set(hutch("images", "-a", "-q").stdout.split())
    hutch("rmi", "c:2")
    hutch("image", "prune", "-a", "-f")
    assert hutch("images", "-a", "-q").stdout.split() == []
    _import(hutch)
    again = hutch("build", "--network", "none", str(ctx)).stdout
    assert "Using cache" not in again  # (the cache went with its images)


def test_builder_prune(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """docker's `builder prune`: the step images and the cache go, the built image stays (and
    runs); -a takes the RUN --mount caches too."""
    _import(hutch)
    ctx = _context(tmp_path, """
        FROM hbox:1
        RUN --mount=type=cache,target=/c echo x >> /c/n && echo built > /b
        CMD ["cat", "/b"]
        """)
    hutch("build", "--network", "none", "-t", "kept:1", str(ctx))
    steps = set(hutch("images", "-a", "-q").stdout.split()) - set(hutch("images", "-q").stdout.split())
    assert steps
    out = hutch("builder", "prune", "-f").stdout
    assert out.startswith("Deleted build cache objects:\n") and "Total reclaimed space: " in out, out
    assert set(hutch("images", "-a", "-q").stdout.split()) == set(hutch("images", "-q").stdout.split())
    assert hutch("run", "--rm", "--network", "none", "kept:1").stdout == "built\n"
    assert "Using cache" not in hutch("build", "--network", "none", str(ctx)).stdout
    assert (hutch.root / "build-mounts").is_dir()
    hutch("builder", "prune", "-a", "-f")
    assert not (hutch.root / "build-mounts").exists()


def test_a_failing_run_fails_the_build(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    ctx = _context(tmp_path, """
        FROM hbox:1
        RUN echo before; exit 3
        """)
    r = hutch("build", "--network", "none", "-t", "never:1", str(ctx), check=False)
    assert r.returncode == 1
    assert r.stderr == "Error: The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3\n"
    assert "before" in r.stdout
    assert hutch("ps", "-a", "-q").stdout == ""
    assert hutch("images", "-q", "never").stdout == ""


def test_stages_args_entrypoint_and_ignore(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    ctx = _context(tmp_path, """
        ARG BASE=hbox:1
        FROM $BASE AS builder
        ARG WHAT=default
        RUN echo "made $WHAT" > /artifact
        FROM ${BASE}
        COPY --from=builder /artifact /srv/
        COPY . /ctx/
        ENTRYPOINT ["cat"]
        CMD ["/srv/artifact"]
        """, {".dockerignore": "secret*\n!secret-ok\n", "secret.key": "no", "secret-ok": "yes",
              "kept": "k"})
    out = hutch("build", "--network", "none", "--build-arg", "WHAT=given", "--build-arg", "UNUSED=1",
                "-t", "multi:1", str(ctx)).stdout
    assert "[Warning] One or more build-args [UNUSED] were not consumed" in out
    assert hutch("run", "--rm", "--network", "none", "multi:1").stdout == "made given\n"
    assert sorted(hutch("images", "--format", "{{.Repository}}").stdout.split()) == ["hbox", "multi"]
    listed = hutch("run", "--rm", "--network", "none", "--entrypoint", "ls", "multi:1", "/ctx").stdout
    assert listed.split() == ["Dockerfile", "kept", "secret-ok"], listed
    cfg = _config(hutch, "multi:1")
    assert (cfg["Entrypoint"], cfg["Cmd"]) == (["cat"], ["/srv/artifact"])
    hutch("build", "--network", "none", "--target", "builder", "-t", "stage:1", str(ctx))
    assert hutch("run", "--rm", "--network", "none", "stage:1", "cat", "/artifact").stdout == "made default\n"


def test_heredocs(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """buildkit's here-documents: RUN <<EOF runs the body as a script (a #! line says with
    what), a command with <<EOF gets it as the shell does, COPY <<EOF /f writes a file."""
    _import(hutch)
    ctx = _context(tmp_path, """
        FROM hbox:1
        ENV WHO=world
        RUN <<EOF
        echo "script $WHO" > /one
        echo second line >> /one
        EOF
        RUN <<EOF
        #!/bin/sh -e
        echo "shebang $0" > /two
        EOF
        RUN cat > /three <<'END'
        literal $WHO
        END
        COPY <<EOF /etc/greeting
        hello $WHO
        EOF
        CMD ["sh", "-c", "cat /one /two /three /etc/greeting"]
        """)
    hutch("build", "-t", "here:1", str(ctx))  # (RUN on the default network, bridge, as docker's)
    out = hutch("run", "--rm", "--network", "none", "here:1").stdout
    assert out.splitlines() == ["script world", "second line", "shebang /tmp/.hutch-heredoc-script",
                                "literal $WHO", "hello world"], out


def test_run_mounts(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """RUN --mount, buildkit's kinds: a bind of the context (read-only), a cache kept between
    builds, a tmpfs, a secret (--secret id=,src= or env=); none of them, nor their mount points,
    in the layer; RUN --network=none."""
    _import(hutch)
    ctx = _context(tmp_path, """
        FROM hbox:1
        RUN --mount=type=bind,source=data,target=/data --mount=type=cache,target=/cache \\
            --mount=type=tmpfs,target=/scratch --mount=type=secret,id=token \\
            --mount=type=secret,id=other,target=/etc/other --network=none \\
            cat /data/in > /out && echo run >> /cache/count && wc -l < /cache/count >> /out && \\
            cat /run/secrets/token >> /out && cat /etc/other >> /out && touch /scratch/x && \\
            ! touch /data/written 2>/dev/null
        CMD ["cat", "/out"]
        """, {"data/in": "from the context\n"})
    secret = tmp_path / "token.txt"
    secret.write_text("s3cret\n")
    env = {**os.environ, "OTHER": "from env\n"}
    args = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "build", "--network", "none",
            "--secret", f"id=token,src={secret}", "--secret", "id=other,env=OTHER", "-t", "mounts:1"]
    for _ in range(2):  # the second with --no-cache: the cache mount has the first's line
        r = subprocess.run([*args, str(ctx)], env=env, capture_output=True, text=True, timeout=120,
                           check=False)
        assert r.returncode == 0, r.stderr
        args.append("--no-cache")
    out = hutch("run", "--rm", "--network", "none", "mounts:1").stdout
    assert out == "from the context\n2\ns3cret\nfrom env\n", out
    listing = hutch("run", "--rm", "--network", "none", "mounts:1", "sh", "-c",
                    "ls -d /data /cache /scratch /run/secrets /etc/other 2>&1", check=False).stdout
    assert listing.count("No such file or directory") == 5, listing  # (mount points gone)
    ctx2 = _context(tmp_path / "2", "FROM hbox:1\nRUN --mount=type=secret,id=missing,required cat /x\n")
    r = hutch("build", str(ctx2), check=False)
    assert r.returncode == 1 and "secret missing not found" in r.stderr, r.stderr
    ctx3 = _context(tmp_path / "3", "FROM hbox:1\nRUN --mount=type=bind,source=../../etc,target=/e true\n")
    r = hutch("build", "--network", "none", str(ctx3), check=False)
    assert r.returncode == 1 and r.stderr == ("Error: bind source '../../etc': not found in the build "
                                              "context\n"), r.stderr  # (clamped at its root, as COPY)


def test_a_killed_builds_step_container_is_swept_by_the_next_build(hutch: Hutch,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    """kill -9 of `hutch build` while a RUN runs: its step container runs on (as docker's
    classic builder's); the next build removes it (its label names a builder that is gone)."""
    _import(hutch)
    slow = _context(tmp_path, "FROM hbox:1\nRUN sleep 30\n")
    p = subprocess.Popen([str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "build",
                          "--network", "none", str(slow)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not hutch("ps", "-q").stdout.strip():
            assert time.monotonic() < deadline and p.poll() is None, "the RUN did not start"
            time.sleep(0.1)
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert hutch("ps", "-a", "-q").stdout.strip()  # (left behind, running)
    quick = tmp_path / "quick"
    quick.mkdir()
    (quick / "Dockerfile").write_text("FROM hbox:1\nRUN true\n")
    hutch("build", "--network", "none", str(quick))
    assert hutch("ps", "-a", "-q").stdout == ""


@pytest.mark.parametrize(("dockerfile", "files", "words"), [
    ("FRM hbox:1\n", {}, "dockerfile parse error on line 1: unknown instruction: FRM"),
    ("FROM hbox:1\nCOPY missing /x\n", {}, "file not found in build context"),
    ("FROM nosuch-image-here:1\n", {}, "nosuch-image-here"),
    ("RUN true\n", {}, "no build stage"),
])
def test_bad_dockerfiles(hutch: Hutch, tmp_path: Path, dockerfile: str,  # noqa: F811
                         files: dict[str, str], words: str) -> None:
    _import(hutch)
    ctx = _context(tmp_path, dockerfile, files)
    r = hutch("build", "--network", "none", str(ctx), check=False)
    assert r.returncode == 1 and words in r.stderr and len(r.stderr.splitlines()) == 1, r
    assert hutch("ps", "-a", "-q").stdout == ""


def test_a_dockerfile_from_stdin_and_iidfile(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """`build - < Dockerfile`: no context (docker's); --iidfile gets the image id."""
    _import(hutch)
    idfile = tmp_path / "iid"
    r = hutch("build", "--network", "none", "--iidfile", str(idfile), "-t", "stdin:1", "-",
              input=b"FROM hbox:1\nRUN echo from stdin > /s\n")
    assert "Sending build context to Docker daemon  0B" in r.stdout
    image_id = json.loads(hutch("image", "inspect", "stdin:1").stdout)[0]["Id"]
    assert idfile.read_text() == image_id
    r = hutch("build", "-", input=b"FROM hbox:1\nCOPY x /x\n", check=False)
    assert r.returncode == 1 and "file not found in build context" in r.stderr


def test_no_context_or_dockerfile(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    r = hutch("build", str(tmp_path / "nowhere"), check=False)
    assert r.returncode == 1 and 'path "' in r.stderr and "not found" in r.stderr
    r = hutch("build", str(tmp_path), check=False)
    assert r.returncode == 1 and "failed to read dockerfile" in r.stderr
