"""`hutch build` next to `podman build` (buildah): one Dockerfile, built from nothing and again
from the cache, side by side in one run.

The Dockerfile (FROM the busybox rootfs both tools import, ENV, a COPY of --files small files,
a RUN that reads them, CMD) is built

1. with ``--no-cache`` (every step runs: a RUN's container, a COPY's layer, the commits), and
2. again with the cache warm (every step a cache hit: what an edit-build loop pays when
   nothing changed),

each round running every tool once, tools alternating first; medians, p90s and the ratios
hutch/podman. podman is configured as in benchmarks/engine.py (its own root and runroot, vfs
storage, runc, cgroupfs, no network); both build with ``--network none``.

    sudo .venv/bin/python benchmarks/build.py [--rounds 10] [--files 200]

Asserts nothing. Everything it makes is removed at the end, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.engine import IMAGE, PODMAN, Hutch, Podman, Tool  # noqa: E402
from tests.support.bundles import rootfs_template  # noqa: E402

DOCKERFILE = f"""\
FROM {IMAGE}
ENV GREETING=hello
COPY files/ /files/
RUN cat /files/* | wc -c > /size && echo "$GREETING" > /greeting
CMD ["cat", "/size"]
"""


def _context(top: Path, files: int) -> Path:
    ctx = top / "ctx"
    (ctx / "files").mkdir(parents=True)
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    for i in range(files):
        (ctx / "files" / f"f{i:04d}.txt").write_bytes(bytes([65 + i % 26]) * 1024)
    return ctx


def _build(tool: Tool, ctx: Path, cached: bool) -> float:
    args = ["build", "--network", "none", "-q", "-t", "hutch-bench-built:1"]
    if isinstance(tool, Podman):
        args += ["--cgroup-parent", tool.parent, "--layers"]
    if not cached:
        args.append("--no-cache")
    return tool.timed(*args, str(ctx), timeout=600)


def _stats(name: str, times: list[float]) -> str:
    times = sorted(times)
    p90 = times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
    return f"{name:8} median {statistics.median(times):8.1f} ms   p90 {p90:8.1f} ms"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--files", type=int, default=200)
    p.add_argument("--only", choices=["hutch", "podman"])
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="hutch-bench-build-") as tmp:
        work = Path(tmp)
        tarball = work / "rootfs.tar"
        with tarfile.open(tarball, "w") as t:
            t.add(rootfs_template(work / "rootfs"), arcname=".")
        ctx = _context(work, a.files)
        tools: list[Tool] = []
        if a.only != "podman":
            tools.append(Hutch("hutch", work))
        if a.only != "hutch" and PODMAN.exists():
            tools.append(Podman(work))
        try:
            for tool in tools:
                tool.call("import", str(tarball), IMAGE)
                _build(tool, ctx, cached=False)  # (warm-up: page cache, the first cache entries)
            results: dict[tuple[str, bool], list[float]] = {}
            for r in range(a.rounds):
                order = tools if r % 2 == 0 else list(reversed(tools))
                for cached in (False, True):
                    for tool in order:
                        results.setdefault((tool.name, cached), []).append(_build(tool, ctx, cached))
            print(f"{a.rounds} rounds, a context of {a.files} files of 1 KiB; Dockerfile:\n"
                  + "".join(f"    {line}\n" for line in DOCKERFILE.splitlines()))
            for cached, title in ((False, "build --no-cache"), (True, "build, all from the cache")):
                print(title)
                for tool in tools:
                    print("  " + _stats(tool.name, results[(tool.name, cached)]))
                if len(tools) == 2:
                    ratio = statistics.median(results[("hutch", cached)]) / \
                        statistics.median(results[("podman", cached)])
                    print(f"  hutch/podman {ratio:.2f}x")
        finally:
            for tool in tools:
                tool.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
