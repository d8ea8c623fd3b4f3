"""The engine next to podman: `run --rm` latency, and the cost of many detached containers.

Both tools get the same image: the busybox rootfs of ``tests.support.bundles``, tarred and
given to ``hutch import`` and ``podman import``. podman is Debian's 4.3 with ``--runtime
runc``, the cgroupfs manager, vfs storage, a root and runroot of its own under short paths
(/var/lib/hutch-bpm-<hex>, /run/hutch-bpm-<hex>) and a private containers.conf with
``netns="none"``, so it never sets up a bridge or NAT in the host's network namespace.

1. ``run --rm --network none IMAGE true``, wall time of the whole command, for ``hutch``,
   ``hutch --runtime runc`` (the engine's own cost apart from its runtime's) and podman.
   One untimed warm-up round, then --rounds rounds; each round runs every tool once, and
   the order flips every round.
2. --count detached ``sleep 1000`` containers, one tool at a time (hutch, then podman, a
   second's pause between): the wall time to start them all one after another, the memory
   each costs (the Pss of its monitor — hutch's store supervisor divided over its containers,
   podman's conmon —
   plus the Pss of its processes, found by their cgroups; and the drop in MemAvailable),
   and the time of one ``rm -f`` of them all. While they run, the flat-cost check: ``ps -a``,
   ``run --rm`` and ``exec`` timed with one container and again with --count more.
3. ``exec C true`` into a running ``sleep`` container, rounds alternating as in 1.
4. The Python API, no CLI process at all (a sandbox user's loop): ``containers.run(IMAGE,
   "true", remove=True)`` and ``Container.exec_run("true")``, in one interpreter that has
   imported ``hutch`` once; next to the CLI figures of 1 and 3.

    sudo .venv/bin/python benchmarks/engine.py [--rounds 20] [--count 100]
        [--only hutch|podman] [--skip-run] [--skip-many] [--skip-exec] [--skip-api]

Prints medians, p90s and ratios hutch/podman. Asserts nothing. Everything it makes is
removed at the end, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import re
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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.proc import run as proc_run  # noqa: E402
from tests.support.bundles import rootfs_template  # noqa: E402

HUTCH = REPO / ".venv" / "bin" / "hutch"
RUNC = Path("/usr/sbin/runc")
PODMAN = Path("/usr/bin/podman")
IMAGE = "hutch-busybox:bench"
CGROUP_BASE = "/sys/fs/cgroup"

# podman's own configuration (see tests/integration/test_podman.py): no network at all,
# rlimits this machine allows, cgroupfs, runc; tmp_dir (exit files, the alive lock) of its own
PODMAN_CONF = """\
[containers]
netns = "none"
cgroupns = "private"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
tmp_dir = "{runroot}/tmp"
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
"""

_HUTCH_CGROUP = re.compile(r"^\d+:[^:]*:/hutch/([0-9a-f]{64})(?:/|$)")


class Tool:
    """One engine under test: its command line, its store, and what it has started."""

    name = ""

    def __init__(self) -> None:
        self.argv: list[str] = []
        self.env: dict[str, str] = dict(os.environ)
        self.times: list[float] = []

    def call(self, *args: str, timeout: float = 120) -> str:
        """Run the tool; its stdout. Output goes to files, never pipes: a detached
        container's monitor must not hold our end open."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = proc_run([*self.argv, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            env=self.env, timeout=timeout)
            out.seek(0)
            if proc.returncode != 0:
                err.seek(0)
                raise RuntimeError(f"{self.name} {' '.join(args[:4])}... exited {proc.returncode}: "
                                   f"{err.read().decode(errors='replace').strip()}")
            return out.read().decode(errors="replace")

    def timed(self, *args: str, timeout: float = 120) -> float:
        """Run the tool; its wall time in ms."""
        t = time.perf_counter()
        self.call(*args, timeout=timeout)
        return (time.perf_counter() - t) * 1000

    def run_rm(self) -> float:
        return self.timed("run", "--rm", "--network", "none", IMAGE, "true")

    def run_detached(self) -> str:
        return self.call("run", "-d", "--network", "none", IMAGE, "sleep", "1000").strip()

    def exec_true(self, cid: str) -> float:
        return self.timed("exec", cid, "true")

    def ps_all(self) -> float:
        return self.timed("ps", "-a")

    def ids(self) -> list[str]:
        return self.call("ps", "-a", "-q", "--no-trunc").split()

    def rm_all(self, ids: list[str]) -> float:
        return self.timed("rm", "-f", *ids, timeout=900)

    def monitors(self) -> set[int]:
        """Pids of the monitors of this tool's containers."""
        raise NotImplementedError

    def containers(self, ids: list[str]) -> set[int]:
        """Pids of the processes in the cgroups of this tool's containers."""
        raise NotImplementedError

    def cleanup(self) -> None:
        raise NotImplementedError


class Hutch(Tool):
    def __init__(self, name: str, workdir: Path, runtime: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.root = workdir / f"store-{name}"
        self.runroot = f"/run/hutch-bench-{secrets.token_hex(4)}"
        self.argv = [str(HUTCH), "--root", str(self.root), "--runroot", self.runroot]
        if runtime:
            self.argv += ["--runtime", runtime]
        self.seen: set[str] = set()  # every container id it ever listed, for cleanup

    def run_detached(self) -> str:
        cid = super().run_detached()
        self.seen.add(cid)
        return cid

    def monitors(self) -> set[int]:
        """The store's supervisor (one for all its containers: its Pss is divided over them),
        and its keeper (a process whose command line names the store's supervisor), or the
        per-container monitors of older versions."""
        root = str(self.root).encode()
        return {pid for pid, cmd in _cmdlines().items()
                if any(b"hutch-supervisor" in arg or b"hutch-keeper" in arg or b"hutch.engine.monitor" in arg
                       for arg in cmd)
                and any(arg == root or arg.startswith(root + b"/") for arg in cmd)}

    def containers(self, ids: list[str]) -> set[int]:
        wanted = set(ids)
        found = set()
        for pid, lines in _cgroups().items():
            for line in lines:
                m = _HUTCH_CGROUP.match(line)
                if m and m.group(1) in wanted:
                    found.add(pid)
                    break
        return found

    def cleanup(self) -> None:
        try:
            ids = self.ids()
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            ids = []
        self.seen.update(ids)
        if ids:
            try:
                self.call("rm", "-f", *ids, timeout=900)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                print(f"cleanup: {e}", file=sys.stderr)
        # whatever survived: kill it by pid, unmount, remove its cgroups and directories
        _kill(self.monitors() | self.containers(list(self.seen)))
        _umount_under(str(self.root))
        for cid in self.seen:
            _rmdir_cgroup_tree(f"/hutch/{cid}")
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.runroot, ignore_errors=True)


class Podman(Tool):
    name = "podman"

    def __init__(self, workdir: Path) -> None:
        super().__init__()
        tag = f"hutch-bpm-{secrets.token_hex(4)}"
        # short paths: with a runroot longer than ~50 characters conmon waits 20 s per container
        self.root, self.runroot, self.parent = f"/var/lib/{tag}", f"/run/{tag}", f"/hutch/{tag}"
        conf = workdir / "containers.conf"
        conf.write_text(PODMAN_CONF.format(runroot=self.runroot))
        self.env["CONTAINERS_CONF"] = str(conf)
        self.env.pop("DOCKER_CONFIG", None)  # podman fails with it set
        self.argv = [str(PODMAN), "--root", self.root, "--runroot", self.runroot, "--storage-driver", "vfs",
                     "--cgroup-manager", "cgroupfs", "--runtime", "runc"]

    def run_rm(self) -> float:
        return self.timed("run", "--rm", "--network", "none", "--cgroup-parent", self.parent, IMAGE, "true")

    def run_detached(self) -> str:
        return self.call("run", "-d", "--network", "none", "--cgroup-parent", self.parent, IMAGE,
                         "sleep", "1000").strip()

    def rm_all(self, ids: list[str]) -> float:
        return self.timed("rm", "-f", "--time", "0", *ids, timeout=900)

    def monitors(self) -> set[int]:
        marker = self.root.encode()
        return {pid for pid, cmd in _cmdlines().items()
                if cmd and os.path.basename(cmd[0]) == b"conmon" and any(marker in arg for arg in cmd)}

    def containers(self, ids: list[str]) -> set[int]:
        prefix = f"{self.parent}/libpod-"
        return {pid for pid, lines in _cgroups().items()
                if any(line.split(":", 2)[2].startswith(prefix) for line in lines)}

    def cleanup(self) -> None:
        for args in (("rm", "--all", "--force", "--time", "0"), ("rmi", "--all", "--force")):
            try:
                self.call(*args, timeout=900)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                print(f"cleanup: {e}", file=sys.stderr)
        _kill(self.monitors() | self.containers([]))
        for d in (self.root, self.runroot):
            _umount_under(d)
            shutil.rmtree(d, ignore_errors=True)
        _rmdir_cgroup_tree(self.parent)


# ---- /proc and /sys helpers ----------------------------------------------------------------

def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _cmdlines() -> dict[int, list[bytes]]:
    out = {}
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                out[pid] = f.read().split(b"\0")
        except OSError:
            continue
    return out


def _cgroups() -> dict[int, list[str]]:
    out = {}
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                out[pid] = f.read().splitlines()
        except OSError:
            continue
    return out


def pss_kib(pids: set[int]) -> int:
    """The sum of the processes' Pss, in KiB (a process gone meanwhile counts 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


def mem_available_kib() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def _kill(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _umount_under(path: str) -> None:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for p in reversed(points):
        if p == path or p.startswith(path.rstrip("/") + "/"):
            subprocess.run(["umount", "-l", p], check=False, stderr=subprocess.DEVNULL)


def _hierarchies() -> list[str]:
    """Every cgroup hierarchy's mount point (v1 controllers, and the v2 tree)."""
    names = [n for n in os.listdir(CGROUP_BASE) if not os.path.islink(os.path.join(CGROUP_BASE, n))]
    return [CGROUP_BASE, *(os.path.join(CGROUP_BASE, n) for n in names)]


def _rmdir_cgroup_tree(path: str) -> None:
    """rmdir ``path`` and everything under it, deepest first, in every hierarchy. Busy
    directories stay."""
    for h in _hierarchies():
        top = os.path.join(h, path.lstrip("/"))
        if not os.path.isdir(top):
            continue
        for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def _hutch_cgroups() -> set[str]:
    return {h for h in _hierarchies() if os.path.isdir(os.path.join(h, "hutch"))}


# ---- the benchmarks ------------------------------------------------------------------------

def median_of(n: int, f: Callable[[], float]) -> float:
    return statistics.median(f() for _ in range(n))


def report(title: str, by_name: dict[str, list[float]], target: str = "") -> None:
    print(f"\n{title}, wall ms")
    for name, xs in by_name.items():
        print(f"  {name:12} median {statistics.median(xs):7.1f}   p90 {p90(xs):7.1f}   min {min(xs):7.1f}")
    if "podman" in by_name:
        pm = by_name["podman"]
        for name, xs in by_name.items():
            if name != "podman":
                goal = f"   (target {target})" if target and name == "hutch" else ""
                print(f"  {name + '/podman':19} median {statistics.median(xs) / statistics.median(pm):.2f}x"
                      f"   p90 {p90(xs) / p90(pm):.2f}x{goal}")

def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10, method="inclusive")[8] if len(xs) > 1 else xs[0]


def bench_run_rm(tools: list[Tool], rounds: int, warmup: int) -> dict[str, list[float]]:
    for i in range(warmup + rounds):
        for tool in tools if i % 2 == 0 else tools[::-1]:
            ms = tool.run_rm()
            if i >= warmup:
                tool.times.append(ms)
    by_name = {t.name: t.times for t in tools}
    report(f"run --rm --network none {IMAGE} true: {rounds} rounds (after {warmup} warm-up)", by_name,
           "<= 0.3x")
    return by_name


def bench_exec(tools: list[Tool], rounds: int, warmup: int) -> dict[str, list[float]]:
    """`exec C true` into one running `sleep` container per tool, rounds alternating."""
    ctrs = {t.name: t.run_detached() for t in tools}
    times: dict[str, list[float]] = {t.name: [] for t in tools}
    try:
        for i in range(warmup + rounds):
            for tool in tools if i % 2 == 0 else tools[::-1]:
                ms = tool.exec_true(ctrs[tool.name])
                if i >= warmup:
                    times[tool.name].append(ms)
    finally:
        for tool in tools:
            tool.call("rm", "-f", ctrs[tool.name])
    report(f"exec C true: {rounds} rounds (after {warmup} warm-up)", times, "<= 0.5x")
    return times


API_LOOP = """
import json, statistics, sys, time
sys.path.insert(0, {src!r})
t0 = time.perf_counter()
import hutch
client = hutch.Client(root={root!r}, runroot={runroot!r})
imported = (time.perf_counter() - t0) * 1000
def timed(f):
    t = time.perf_counter(); f(); return (time.perf_counter() - t) * 1000
run = [timed(lambda: client.containers.run({image!r}, "true", remove=True)) for _ in range({n})]
c = client.containers.run({image!r}, ["sleep", "1000"], detach=True)
try:
    ex = [timed(lambda: c.exec_run("true")) for _ in range({n})]
finally:
    c.remove(force=True)
print(json.dumps({{"import": imported, "run": run[{w}:], "exec": ex[{w}:]}}))
"""


def bench_api(hutch: Hutch, rounds: int, warmup: int, cli: dict[str, dict[str, list[float]]]) -> None:
    """The Python API in one interpreter (no CLI process): containers.run(remove=True) and
    exec_run, next to the CLI's figures of the same round counts."""
    import json

    script = API_LOOP.format(src=str(REPO / "src"), root=str(hutch.root), runroot=hutch.runroot,
                             image=IMAGE, n=warmup + rounds, w=warmup)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"python API loop failed: {proc.stderr.strip()[-2000:]}")
    got = json.loads(proc.stdout.splitlines()[-1])
    print(f"\nPython API, one interpreter ({rounds} rounds after {warmup} warm-up; `import hutch` + "
          f"Client: {got['import']:.1f} ms once), wall ms")
    for what, key, title in (("run", "run", "containers.run(remove=True)"), ("exec", "exec", "exec_run")):
        xs = got[key]
        line = f"  {title:30} median {statistics.median(xs):7.1f}   p90 {p90(xs):7.1f}"
        for name in ("hutch", "podman"):
            ref = cli.get(what, {}).get(name)
            if ref:
                line += f"   vs {name} CLI {statistics.median(xs) / statistics.median(ref):.2f}x"
        print(line)


class Batch:
    """What one tool's batch of detached containers measured."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.flat: dict[str, tuple[float, float]] = {}  # what -> (ms with 1 container, ms with count more)
        self.start_s = self.rm_s = 0.0
        self.monitor_kib = self.container_kib = self.avail_drop_kib = 0
        self.n_monitors = self.n_containers = self.n = 0


def bench_many(tool: Tool, count: int) -> Batch:
    b = Batch(tool.name)
    probe = tool.run_detached()  # the container `exec` goes into, there from the start
    checks: dict[str, Callable[[], float]] = {"ps -a": tool.ps_all, "run --rm": tool.run_rm,
                                              "exec": lambda: tool.exec_true(probe)}
    alone = {what: median_of(5, f) for what, f in checks.items()}
    time.sleep(1)  # let the machine settle (the previous batch's teardown, page cache writeback)
    before = mem_available_kib()
    t = time.perf_counter()
    for _ in range(count):
        tool.run_detached()
    b.start_s = time.perf_counter() - t
    time.sleep(1)
    everything = tool.ids()  # the probe is one of the containers measured
    ids = [i for i in everything if i != probe]
    b.n = len(everything)
    mons, ctrs = tool.monitors(), tool.containers(everything)
    ctrs -= mons
    b.n_monitors, b.n_containers = len(mons), len(ctrs)
    b.monitor_kib, b.container_kib = pss_kib(mons), pss_kib(ctrs)
    b.avail_drop_kib = before - mem_available_kib()
    b.flat = {what: (alone[what], median_of(5, f)) for what, f in checks.items()}
    b.rm_s = tool.rm_all(ids) / 1000
    tool.call("rm", "-f", probe)
    left = tool.ids()
    if left:
        raise RuntimeError(f"{tool.name}: {len(left)} containers left after rm -f")
    return b


def report_many(batches: list[Batch], count: int) -> None:
    print(f"\n{count} detached `sleep 1000` containers, one tool at a time:")
    print(f"  {'':8} {'start all':>10} {'per ctr':>9} {'rm -f all':>10} {'Pss/ctr':>9} {'monitor':>9}"
          f" {'container':>10} {'MemAvail drop/ctr':>18}   found")
    mib = 1024.0
    for b in batches:
        n = max(b.n, 1)
        print(f"  {b.name:8} {b.start_s:9.1f}s {b.start_s * 1000 / n:7.0f}ms {b.rm_s:9.1f}s"
              f" {(b.monitor_kib + b.container_kib) / n / mib:6.2f}MiB {b.monitor_kib / n / mib:6.2f}MiB"
              f" {b.container_kib / n / mib:7.2f}MiB {b.avail_drop_kib / n / mib:15.2f}MiB"
              f"   {b.n_monitors} monitors, {b.n_containers} container processes")
    print(f"  flat cost: median of 5, with 1 container and with {count} more running")
    for b in batches:
        print(f"  {b.name:8} " + "   ".join(f"{what} {one:.0f} -> {many:.0f} ms ({many / one:.2f}x)"
                                          for what, (one, many) in b.flat.items()))
    by = {b.name: b for b in batches}
    if "hutch" in by and "podman" in by:
        h, p = by["hutch"], by["podman"]

        def ratio(x: float, y: float) -> str:
            return f"{x / y:.2f}x" if y > 0 else "n/a"

        print(f"  hutch/podman: start {ratio(h.start_s, p.start_s)}   rm -f {ratio(h.rm_s, p.rm_s)}   "
              f"Pss {ratio(h.monitor_kib + h.container_kib, p.monitor_kib + p.container_kib)}   "
              f"(monitor {ratio(h.monitor_kib, p.monitor_kib)}, "
              f"container {ratio(h.container_kib, p.container_kib)})   "
              f"MemAvailable drop {ratio(h.avail_drop_kib, p.avail_drop_kib)}")


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20, help="timed run --rm rounds per tool (default 20)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed run --rm rounds first (default 1)")
    ap.add_argument("--count", type=int, default=100, help="detached containers per tool (default 100)")
    ap.add_argument("--only", choices=["hutch", "podman"], help="benchmark one engine only")
    ap.add_argument("--skip-run", action="store_true", help="skip the run --rm benchmark")
    ap.add_argument("--skip-many", action="store_true", help="skip the detached-containers benchmark")
    ap.add_argument("--skip-exec", action="store_true", help="skip the exec benchmark")
    ap.add_argument("--skip-api", action="store_true", help="skip the Python API benchmark")
    opts = ap.parse_args()
    if os.geteuid() != 0:
        print("engine: run as root (containers need namespaces, mounts and cgroups)", file=sys.stderr)
        return 1
    if opts.rounds < 1 or opts.count < 1 or opts.warmup < 0:
        ap.error("--rounds and --count must be at least 1, --warmup at least 0")
    if opts.only in (None, "hutch") and not HUTCH.exists():
        print(f"engine: {HUTCH} is missing: run scripts/setup.sh", file=sys.stderr)
        return 1
    if opts.only in (None, "podman") and not PODMAN.exists():
        print(f"engine: {PODMAN} is missing (apt-get install podman)", file=sys.stderr)
        return 1

    # Ctrl-C, kill and a closed terminal all end in the cleanup below (SIGINT even when
    # inherited ignored, as in a background job of a non-interactive shell)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    had_hutch_cgroup = _hutch_cgroups()
    workdir = Path(tempfile.mkdtemp(prefix="hutch-bench-"))
    tools: list[Tool] = []
    t_all = time.monotonic()
    try:
        tar = workdir / "rootfs.tar"
        with tarfile.open(tar, "w") as t:
            t.add(rootfs_template(workdir), arcname=".")
        if opts.only in (None, "hutch"):
            tools.append(Hutch("hutch", workdir))
            if RUNC.exists():
                tools.append(Hutch("hutch+runc", workdir, runtime="runc"))
            else:
                print(f"engine: {RUNC} is missing: no hutch --runtime runc column")
        if opts.only in (None, "podman"):
            tools.append(Podman(workdir))
        for tool in tools:
            tool.call("import", str(tar), IMAGE)
        print(f"engine benchmark, {os.cpu_count()} CPUs, load average "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        cli: dict[str, dict[str, list[float]]] = {}
        if not opts.skip_run:
            cli["run"] = bench_run_rm(tools, opts.rounds, opts.warmup)
        if not opts.skip_exec:
            cli["exec"] = bench_exec(tools, opts.rounds, opts.warmup)
        hutch = next((t for t in tools if isinstance(t, Hutch) and t.name == "hutch"), None)
        if not opts.skip_api and hutch is not None:
            bench_api(hutch, opts.rounds, opts.warmup, cli)
        if not opts.skip_many:
            # hutch's own engine with its own runtime, then podman; one batch at a time
            batches = [bench_many(tool, opts.count) for tool in tools if tool.name in ("hutch", "podman")]
            report_many(batches, opts.count)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for tool in tools:
            tool.cleanup()
        # /hutch itself, in hierarchies where it was not there before, if nothing uses it now
        for h in _hutch_cgroups() - had_hutch_cgroup:
            try:
                os.rmdir(os.path.join(h, "hutch"))
            except OSError:
                pass
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n(took {time.monotonic() - t_all:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
