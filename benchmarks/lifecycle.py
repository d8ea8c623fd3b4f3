"""Container lifecycle latency: hutch-runtime next to runc, on the same busybox bundle.

One round, per runtime, is what containerd's shim does for a short-lived container:
``create --bundle B ID``, ``start ID``, ``state ID`` until it says stopped, ``delete ID``,
timed as a whole. Rounds alternate the two runtimes (and which goes first) so that drift
in the machine's load hits both alike. Each runtime has its own --root (/run/hutch-bench-*).

    sudo .venv/bin/python benchmarks/lifecycle.py [--rounds 30] [--only hutch|runc]

Prints median and p90 in milliseconds, and the ratio hutch/runc. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.proc import run as proc_run  # noqa: E402
from tests.support.bundles import Bundle  # noqa: E402

HUTCH = REPO / ".venv" / "bin" / "hutch-runtime"
RUNC = Path("/usr/sbin/runc")


class Runtime:
    def __init__(self, name: str, binary: Path) -> None:
        self.name = name
        self.bin = str(binary)
        self.root = f"/run/hutch-bench-{name}-{secrets.token_hex(4)}"
        self.times: list[float] = []
        self.steps: dict[str, list[float]] = {"create": [], "start": [], "state": [], "delete": []}

    def call(self, *args: str, out: bool = False) -> str:
        # stdout/stderr to files, never pipes: the container's init inherits them, and a
        # pipe would keep `create` waiting for EOF until the container is gone
        with tempfile.TemporaryFile() as err:
            proc = proc_run([self.bin, "--root", self.root, *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if out else subprocess.DEVNULL, stderr=err, timeout=60)
            if proc.returncode != 0:
                err.seek(0)
                raise RuntimeError(f"{self.name} {' '.join(args)} exited {proc.returncode}: "
                                   f"{err.read().decode(errors='replace').strip()}")
        return proc.stdout.decode() if out else ""

    def round(self, bundle: Path, record: bool = True) -> float:
        """One lifecycle; the whole in ms. With ``record``, each step's time is kept too
        (``state`` counts once per poll)."""
        cid = f"hutch-bench-{secrets.token_hex(4)}"
        marks = [time.perf_counter()]
        self.call("create", "--bundle", str(bundle), cid)
        marks.append(time.perf_counter())
        self.call("start", cid)
        marks.append(time.perf_counter())
        deadline = time.monotonic() + 30
        polls = 1
        while json.loads(self.call("state", cid, out=True))["status"] != "stopped":
            polls += 1
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: {cid} did not stop")
        marks.append(time.perf_counter())
        self.call("delete", cid)
        marks.append(time.perf_counter())
        if record:
            for (name, series), a, b in zip(self.steps.items(), marks[:-1], marks[1:], strict=True):
                series.append((b - a) * 1000 / (polls if name == "state" else 1))
        return (marks[-1] - marks[0]) * 1000

    def cleanup(self) -> None:
        """Delete whatever a failed round left in this runtime's root, then the root."""
        try:
            listed = json.loads(self.call("list", "--format", "json", out=True) or "null") or []
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired):
            listed = []
        for c in listed:
            try:
                self.call("delete", "--force", c["id"])
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                print(f"cleanup: {e}", file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10, method="inclusive")[8] if len(xs) > 1 else xs[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=30, help="timed rounds per runtime (default 30)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    ap.add_argument("--only", choices=["hutch", "runc"], help="benchmark one runtime only")
    ap.add_argument("--hutch", type=Path, default=HUTCH, help=f"hutch-runtime binary (default {HUTCH})")
    ap.add_argument("--runc", type=Path, default=RUNC, help=f"runc binary (default {RUNC})")
    opts = ap.parse_args()
    if os.geteuid() != 0:
        print("lifecycle: run as root (containers need namespaces, mounts and cgroups)", file=sys.stderr)
        return 1
    if opts.rounds < 1:
        ap.error("--rounds must be at least 1")

    runtimes: list[Runtime] = []
    if opts.only in (None, "hutch"):
        if not opts.hutch.exists():
            print(f"lifecycle: {opts.hutch} is missing: run scripts/setup.sh", file=sys.stderr)
            return 1
        runtimes.append(Runtime("hutch", opts.hutch))
    if opts.only in (None, "runc"):
        if opts.runc.exists():
            runtimes.append(Runtime("runc", opts.runc))
        elif opts.only == "runc":
            print(f"lifecycle: {opts.runc} is missing (apt-get install runc)", file=sys.stderr)
            return 1
        else:
            print(f"lifecycle: {opts.runc} is missing (apt-get install runc): hutch alone")

    workdir = Path(tempfile.mkdtemp(prefix="hutch-bench-"))
    try:
        bundle = Bundle(workdir / "bundle", ["true"]).path
        for i in range(opts.warmup + opts.rounds):
            order = runtimes if i % 2 == 0 else runtimes[::-1]
            for rt in order:
                ms = rt.round(bundle, record=i >= opts.warmup)
                if i >= opts.warmup:
                    rt.times.append(ms)
    finally:
        for rt in runtimes:
            rt.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"create+start+state..stopped+delete of a busybox `true`, {opts.rounds} rounds:")
    for rt in runtimes:
        print(f"  {rt.name:6} median {statistics.median(rt.times):7.1f} ms   p90 {p90(rt.times):7.1f} ms"
              "   (median ms: " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in rt.steps.items())
              + ")")
    by_name = {rt.name: rt.times for rt in runtimes}
    if "hutch" in by_name and "runc" in by_name:
        med = statistics.median(by_name["hutch"]) / statistics.median(by_name["runc"])
        p = p90(by_name["hutch"]) / p90(by_name["runc"])
        print(f"  hutch/runc: median {med:.2f}x   p90 {p:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
