"""Pull of a ~150 MB image of several layers from a local registry: hutch, podman, skopeo.

The image (built once and cached in /var/tmp/hutch-bench-pull-image-<VERSION>, an OCI
layout): 5 gzip'd layers, 153 MB of tar (75 MB gzip'd), ~27k files — /usr/share/man (24k
small files, most of them gzip'd already), /usr/lib/python3.11 (source and bytecode),
/usr/share/zoneinfo, two large files (/usr/bin/podman and 8 MiB from /dev/urandom), and a
small last layer with a whiteout. skopeo pushes it to Debian's docker-registry on 127.0.0.1
at a free port (``tests.support.registry.Registry``).

Then, after one untimed warm-up pull each, --rounds rounds; each round pulls the image once
with every tool into an empty store (the order flips every round), wall time from start to
exit, ``sync`` before each pull and the store removed (and synced) after it, not timed:

    hutch       hutch --root R --runroot RR pull 127.0.0.1:PORT/bench:1
    hutch-j6    the same with --max-concurrent-downloads 6
    podman      podman --root R --runroot RR --storage-driver overlay pull --tls-verify=false ...
    skopeo-cs   skopeo copy docker://... containers-storage:[overlay@R+RR]... (podman's
                library, unpacking as podman does, without podman's own start-up)
    skopeo-oci  skopeo copy docker://... oci:DIR:bench (download and verify only: no unpacking)
    tar         GNU tar -xzf of the cached blobs, one after another (unpacking only: the floor)

podman and skopeo run in a mount namespace of their own where a private directory hides the
host's /var/lib/containers (containers/image keeps its blob-info cache there as root);
with registries.conf, storage.conf, containers.conf, auth.json and policy.json of their own.
Stores go under --dir (default /var/tmp; /dev/shm takes the disk out), runroots under
/run/hutch-bench-<hex>/ (short: see shared FACTS on podman's runroot).

    sudo .venv/bin/python benchmarks/pull.py [--rounds 5] [--only hutch,podman,...]
        [--dir /var/tmp] [--rebuild] [--drop-cache] [--keep-log]

Prints per tool the median, p90 and min in seconds and MB/s (of the gzip'd bytes), the
ratios of hutch to the others, and a markdown table. Asserts nothing. Every store, the
registry and every temp dir are removed at the end, also after an error or Ctrl-C; only
the image cache stays (``--drop-cache`` removes it after the run).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.registry import Registry  # noqa: E402

HUTCH = REPO / ".venv" / "bin" / "hutch"
PODMAN = "/usr/bin/podman"
SKOPEO = "/usr/bin/skopeo"
HOST_CONTAINERS = "/var/lib/containers"
VERSION = "v2"  # bump when the image's recipe changes
CACHE = Path(f"/var/tmp/hutch-bench-pull-image-{VERSION}")
REF = "bench:1"
TOOLS = ("hutch", "hutch-j6", "podman", "skopeo-cs", "skopeo-oci", "tar")

# (host path, path in the image) per layer; bytes for generated files
LAYERS: list[list[tuple[str, str]]] = [
    [("/usr/share/man", "usr/share/man")],
    [("/usr/lib/python3.11", "usr/lib/python3.11")],
    [("/usr/share/zoneinfo", "usr/share/zoneinfo")],
    [("/usr/bin/podman", "opt/big/podman"), ("urandom:8", "opt/big/random.bin")],
]
LAST_LAYER = {"etc/bench-release": b"hutch pull benchmark\n", "etc/motd": b"pulled\n"}

STORAGE_CONF = """\
[storage]
driver = "overlay"
runroot = "{runroot}"
graphroot = "{root}"
"""
POLICY = '{"default": [{"type": "insecureAcceptAnything"}]}\n'


# ---- the image ---------------------------------------------------------------------------

def _norm(ti: tarfile.TarInfo) -> tarfile.TarInfo | None:
    if not (ti.isfile() or ti.isdir() or ti.issym() or ti.islnk()):
        return None  # no sockets, fifos or devices in a benchmark image
    ti.uname = ti.gname = ""
    ti.uid = ti.gid = 0
    ti.mtime = 1700000000
    return ti


def _layer_tar(out: Path, entries: list[tuple[str, str]] | dict[str, bytes | None]) -> None:
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        parents: set[str] = set()

        def add_parents(arc: str) -> None:
            parts = arc.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in parents:
                    parents.add(d)
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(_norm(ti))

        if isinstance(entries, dict):
            import io

            for arc, data in entries.items():
                add_parents(arc)
                ti = tarfile.TarInfo(arc)
                ti.size, ti.mode = len(data or b""), 0o644
                tar.addfile(_norm(ti), io.BytesIO(data or b""))
            return
        for src, arc in entries:
            add_parents(arc)
            if src.startswith("urandom:"):
                mib = int(src.partition(":")[2])
                tmp = out.with_suffix(".rand")
                with open(tmp, "wb") as f:
                    for _ in range(mib):
                        f.write(os.urandom(1 << 20))
                tar.add(tmp, arcname=arc, filter=_norm)
                tmp.unlink()
            else:
                tar.add(src, arcname=arc, filter=_norm)


def _put_blob(layout: Path, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return "sha256:" + digest, len(data)


def build_image(dest: Path) -> None:
    """The benchmark image as an OCI layout at ``dest`` (built beside it, then renamed)."""
    work = Path(tempfile.mkdtemp(prefix="hutch-bench-pull-build-", dir=dest.parent))
    try:
        layout = work / "layout"
        (layout / "blobs" / "sha256").mkdir(parents=True)
        descs, diff_ids = [], []
        specs: list[list[tuple[str, str]] | dict[str, bytes | None]] = [*LAYERS, dict(LAST_LAYER)]
        # the last layer also deletes a file of the first (a whiteout)
        first_file = next(p for p in sorted(Path(LAYERS[0][0][0]).rglob("*")) if p.is_file())
        rel = first_file.relative_to(LAYERS[0][0][0])
        gone = f"{LAYERS[0][0][1]}/{rel.parent}/.wh.{rel.name}".replace("/./", "/")
        specs[-1][gone] = None  # type: ignore[index]
        for i, spec in enumerate(specs):
            raw_path = work / f"layer{i}.tar"
            _layer_tar(raw_path, spec)
            raw = raw_path.read_bytes()
            raw_path.unlink()
            diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
            digest, size = _put_blob(layout, gzip.compress(raw, compresslevel=6, mtime=0))
            descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest,
                          "size": size})
            print(f"  layer {i}: {len(raw) / 1e6:6.1f} MB tar, {size / 1e6:6.1f} MB gzip", flush=True)
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "hutch benchmarks/pull.py"}
                        for _ in diff_ids],
        }).encode()
        cdigest, csize = _put_blob(layout, config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest,
                       "size": csize},
            "layers": descs,
        }).encode()
        mdigest, msize = _put_blob(layout, manifest)
        (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
            "annotations": {"org.opencontainers.image.ref.name": "1"}}]}))
        os.rename(layout, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _manifest(layout: Path) -> dict[str, Any]:
    index = json.loads((layout / "index.json").read_text())
    return dict(json.loads((layout / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_bytes()))


def layer_digests(layout: Path) -> list[str]:
    return [str(d["digest"]) for d in _manifest(layout)["layers"]]


def image_sizes(layout: Path) -> tuple[int, int, int]:
    """(layers, compressed bytes of the blobs a pull fetches, uncompressed tar bytes)."""
    blobs = layout / "blobs" / "sha256"
    manifest = _manifest(layout)
    compressed = manifest["config"]["size"] + sum(d["size"] for d in manifest["layers"])
    raw = 0
    for d in manifest["layers"]:
        with gzip.open(blobs / d["digest"][7:]) as f:
            while n := len(f.read(1 << 20)):
                raw += n
    return len(manifest["layers"]), compressed, raw


# ---- the tools ----------------------------------------------------------------------------

class Tool:
    """One client under test: how to pull into a fresh store, and how to remove it."""

    def __init__(self, name: str, work: Path, run: str, host: str, env: dict[str, str],
                 private: Path) -> None:
        self.name, self.work, self.run, self.host, self.env = name, work, run, host, env
        self.private = private  # podman's and skopeo's /var/lib/containers
        self.times: list[float] = []
        self.n = 0
        self.root = self.runroot = ""

    def fresh(self) -> None:
        """New, empty store paths for the next pull. The runroot stays short (< 50
        characters: podman's conmon waits 20 s per container past that)."""
        self.n += 1
        self.root = str(self.work / f"{self.name}-{self.n}")
        self.runroot = f"/run/{self.run}/{self.name[:2]}{self.n}"

    def argv(self) -> list[str]:
        src = f"{self.host}/{REF}"
        if self.name.startswith("hutch"):
            extra = ["--max-concurrent-downloads", "6"] if self.name == "hutch-j6" else []
            return [str(HUTCH), "--root", self.root, "--runroot", self.runroot, "pull", *extra, src]
        if self.name == "podman":
            return isolated([PODMAN, "--root", self.root, "--runroot", self.runroot, "--storage-driver",
                             "overlay", "pull", "--tls-verify=false",
                             f"--signature-policy={self.env['HUTCH_BENCH_POLICY']}", src], self.private)
        if self.name == "tar":  # the floor: GNU tar unpacks the cached blobs, one after another
            return ["sh", "-c", f'for b; do tar -xzf "$b" -C {self.root} || exit; done', "sh",
                    *(str(CACHE / "blobs" / "sha256" / d[7:]) for d in layer_digests(CACHE))]
        skopeo = [SKOPEO, f"--policy={self.env['HUTCH_BENCH_POLICY']}", "copy", "--src-tls-verify=false",
                  "--src-no-creds", f"docker://{src}"]
        if self.name == "skopeo-cs":
            return isolated([*skopeo, f"containers-storage:[overlay@{self.root}+{self.runroot}]{src}"],
                            self.private)
        return isolated([*skopeo, f"oci:{self.root}:bench"], self.private)

    def pull(self, log: Path) -> float:
        """One pull into a fresh store; its wall time in seconds."""
        self.fresh()
        if self.name in ("skopeo-oci", "tar"):
            os.makedirs(self.root)
        argv = self.argv()
        with open(log, "ab") as out:
            out.write(f"\n$ {' '.join(argv)}\n".encode())
            out.flush()
            t = time.perf_counter()
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=self.env,
                                  timeout=900, check=False)
            dt = time.perf_counter() - t
        if proc.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited {proc.returncode}:\n{tail}")
        return dt

    def remove(self) -> None:
        """Remove the last store (and anything mounted under it)."""
        for d in (self.root, self.runroot):
            if d:
                umount_under(d)
                shutil.rmtree(d, ignore_errors=True)
        self.root = self.runroot = ""


def isolated(argv: list[str], private: Path) -> list[str]:
    """``argv`` in a mount namespace of its own where a private directory hides the host's
    /var/lib/containers: containers/image keeps its blob-info cache and looks for
    signatures there as root, whatever --root says, and the machine's must stay untouched."""
    if not os.path.isdir(HOST_CONTAINERS):
        return argv  # nothing to hide (containers/image would create it: let it, once)
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            f'mount --bind "$0" {HOST_CONTAINERS} && exec "$@"', str(private), *argv]


def umount_under(path: str) -> None:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for p in reversed(points):
        if p == path or p.startswith(path.rstrip("/") + "/"):
            subprocess.run(["umount", "-l", p], check=False, stderr=subprocess.DEVNULL)


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10, method="inclusive")[8] if len(xs) > 1 else xs[0]


def cpu_times() -> tuple[int, int]:
    """(all jiffies, steal jiffies) from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields[:8]), fields[7]


def report(tools: list[Tool], rounds: int, compressed: int, raw: int) -> None:
    print(f"\npull of {compressed / 1e6:.1f} MB ({raw / 1e6:.1f} MB unpacked), {rounds} rounds, wall s")
    print(f"  {'tool':11} {'median':>7} {'p90':>7} {'min':>7} {'MB/s':>6}")
    for t in tools:
        med = statistics.median(t.times)
        print(f"  {t.name:11} {med:7.2f} {p90(t.times):7.2f} {min(t.times):7.2f}"
              f" {compressed / 1e6 / med:6.1f}" + ("   (download only)" if t.name == "skopeo-oci" else ""))
    by = {t.name: t.times for t in tools}
    for mine in ("hutch", "hutch-j6"):
        if mine not in by:
            continue
        for other in ("podman", "skopeo-cs", "skopeo-oci"):
            if other in by:
                m = statistics.median(by[mine]) / statistics.median(by[other])
                q = p90(by[mine]) / p90(by[other])
                target = "   (target <= 1.0x)" if (mine, other) == ("hutch", "podman") else ""
                print(f"  {mine + '/' + other:20} median {m:.2f}x   p90 {q:.2f}x{target}")
    # the compact table, for benchmarks/README.md
    print("\n| tool | median s | p90 s | MB/s | hutch / tool (median) |")
    print("|---|---:|---:|---:|---:|")
    hm = statistics.median(by["hutch"]) if "hutch" in by else None
    for t in tools:
        med = statistics.median(t.times)
        ratio = f"{hm / med:.2f}x" if hm is not None and t.name != "hutch" else "—"
        print(f"| {t.name} | {med:.2f} | {p90(t.times):.2f} | {compressed / 1e6 / med:.1f} | {ratio} |")


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    ap.add_argument("--only", default=",".join(TOOLS), help=f"comma-separated, of {','.join(TOOLS)}")
    ap.add_argument("--dir", default="/var/tmp", help="where the stores go (default /var/tmp; e.g. "
                    "/dev/shm for tmpfs, to take the disk out)")
    ap.add_argument("--rebuild", action="store_true", help="build the image again, even if cached")
    ap.add_argument("--drop-cache", action="store_true", help=f"remove {CACHE} at the end")
    ap.add_argument("--keep-log", action="store_true", help="keep the tools' output (its path is printed)")
    opts = ap.parse_args()
    names = [n for n in opts.only.split(",") if n]
    if unknown := set(names) - set(TOOLS):
        ap.error(f"--only: unknown {', '.join(sorted(unknown))}")
    if opts.rounds < 1 or opts.warmup < 0:
        ap.error("--rounds must be at least 1, --warmup at least 0")
    if os.geteuid() != 0:
        print("pull: run as root (unpacking keeps owners; podman's overlay storage mounts)", file=sys.stderr)
        return 1
    for path in (HUTCH, PODMAN, SKOPEO, "/usr/bin/docker-registry"):
        if not os.path.exists(path):
            print(f"pull: {path} is missing: run scripts/setup.sh", file=sys.stderr)
            return 1

    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    t_all = time.monotonic()
    tag = secrets.token_hex(4)
    run = f"hutch-bench-{tag}"  # /run/hutch-bench-XXXXXXXX/po3: short runroots
    work = Path(tempfile.mkdtemp(prefix=f"hutch-bench-pull-{tag}-", dir=opts.dir))
    log = work / "tools.log"
    keep_log: Path | None = None
    reg: Registry | None = None
    tools: list[Tool] = []
    try:
        if opts.rebuild and CACHE.exists():
            shutil.rmtree(CACHE)
        if not CACHE.exists():
            print(f"building the image in {CACHE} ...", flush=True)
            build_image(CACHE)
        n_layers, compressed, raw = image_sizes(CACHE)
        reg = Registry().start()
        conf = work / "conf"
        private = work / "var-lib-containers"
        private.mkdir()
        conf.mkdir()
        (conf / "registries.conf").write_text(
            f'unqualified-search-registries = []\n[[registry]]\nlocation = "{reg.host}"\ninsecure = true\n')
        (conf / "auth.json").write_text('{"auths": {}}\n')
        (conf / "policy.json").write_text(POLICY)
        (conf / "containers.conf").write_text('[engine]\nevents_logger = "file"\n'
                                              f'tmp_dir = "/run/{run}/tmp"\n')
        (conf / "storage.conf").write_text(STORAGE_CONF.format(root=work / "unused",
                                                               runroot=f"/run/{run}/unused"))
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_CONFIG"}  # podman fails with it
        env.update(CONTAINERS_REGISTRIES_CONF=str(conf / "registries.conf"),
                   REGISTRY_AUTH_FILE=str(conf / "auth.json"), CONTAINERS_CONF=str(conf / "containers.conf"),
                   CONTAINERS_STORAGE_CONF=str(conf / "storage.conf"), TMPDIR=str(work),
                   HUTCH_BENCH_POLICY=str(conf / "policy.json"))
        subprocess.run(isolated([SKOPEO, f"--policy={conf / 'policy.json'}", "copy", "--quiet",
                                 "--preserve-digests", "--dest-tls-verify=false", "--dest-no-creds",
                                 f"oci:{CACHE}:1", f"docker://{reg.host}/{REF}"], private),
                       env=env, stdin=subprocess.DEVNULL, check=True, timeout=600)
        os.makedirs(f"/run/{run}", exist_ok=True)
        tools = [Tool(n, work, run, reg.host, env, private) for n in TOOLS if n in names]

        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"pull benchmark: {n_layers} layers, {compressed / 1e6:.1f} MB gzip, {raw / 1e6:.1f} MB tar; "
              f"registry {reg.host}; stores in {opts.dir}; {os.cpu_count()} CPUs, load average {load}",
              flush=True)
        all0, steal0 = cpu_times()
        for i in range(opts.warmup + opts.rounds):
            order = tools if i % 2 == 0 else tools[::-1]
            line = []
            for t in order:
                os.sync()
                try:
                    dt = t.pull(log)
                finally:
                    t.remove()
                    os.sync()
                line.append(f"{t.name} {dt:.2f}")
                if i >= opts.warmup:
                    t.times.append(dt)
            label = "warm-up" if i < opts.warmup else f"round {i - opts.warmup + 1}"
            print(f"  {label:8} " + "  ".join(line), flush=True)
        all1, steal1 = cpu_times()
        report(tools, opts.rounds, compressed, raw)
        print(f"\nCPU steal during the rounds: {100 * (steal1 - steal0) / max(1, all1 - all0):.1f}%; "
              f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if opts.keep_log:
            keep_log = Path(tempfile.mkstemp(prefix="hutch-bench-pull-", suffix=".log", dir="/var/tmp")[1])
            shutil.copyfile(log, keep_log)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for t in tools:
            t.remove()
        if reg is not None:
            reg.stop()
        umount_under(str(work))
        umount_under(f"/run/{run}")
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(f"/run/{run}", ignore_errors=True)
        if opts.drop_cache:
            shutil.rmtree(CACHE, ignore_errors=True)
    if keep_log:
        print(f"the tools' output: {keep_log}")
    print(f"(took {time.monotonic() - t_all:.0f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as e:  # Ctrl-C or a signal: cleaned up already, in main's finally
        print(f"pull: interrupted ({str(e) or 'Ctrl-C'}), everything removed", file=sys.stderr)
        sys.exit(130)
