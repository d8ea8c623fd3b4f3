"""`exec` latency: hutch-runtime next to runc, into a running busybox container.

What containerd does for every `kubectl exec` and every exec liveness probe:
``exec ID true`` into a running container, timed until the process has run and exited.
Each runtime runs one detached ``sleep`` container in its own --root; rounds alternate
the runtimes. Prints medians, p90 and the ratio hutch/runc. Asserts nothing.

    sudo .venv/bin/python benchmarks/exec.py [--rounds 30] [--only hutch|runc]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lifecycle import HUTCH, RUNC, Runtime, p90  # puts the repo on sys.path, for tests.support
from tests.support.bundles import Bundle


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=30, help="timed rounds per runtime (default 30)")
    ap.add_argument("--only", choices=["hutch", "runc"], help="benchmark one runtime only")
    opts = ap.parse_args()
    if os.geteuid() != 0:
        print("exec: run as root", file=sys.stderr)
        return 1
    if opts.rounds < 1:
        ap.error("--rounds must be at least 1")
    runtimes = [Runtime(name, path) for name, path in (("hutch", HUTCH), ("runc", RUNC))
                if opts.only in (None, name) and path.exists()]
    if not runtimes:
        print("exec: no runtime found (run scripts/setup.sh; apt-get install runc)", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="hutch-bench-"))
    ids: dict[str, str] = {}
    try:
        bundle = Bundle(workdir / "bundle", ["sleep", "100000"]).path
        for rt in runtimes:
            ids[rt.name] = f"hutch-bench-{secrets.token_hex(4)}"
            rt.call("run", "--detach", "--bundle", str(bundle), ids[rt.name])
        for i in range(opts.rounds + 1):  # the first round warms up, untimed
            for rt in runtimes if i % 2 == 0 else runtimes[::-1]:
                t = time.perf_counter()
                rt.call("exec", ids[rt.name], "true")
                if i:
                    rt.times.append((time.perf_counter() - t) * 1000)
    finally:
        for rt in runtimes:
            rt.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"exec ID true into a running busybox container, {opts.rounds} rounds:")
    for rt in runtimes:
        print(f"  {rt.name:6} median {statistics.median(rt.times):7.1f} ms   p90 {p90(rt.times):7.1f} ms")
    if len(runtimes) == 2:
        h, r = (rt.times for rt in runtimes)
        print(f"  hutch/runc: median {statistics.median(h) / statistics.median(r):.2f}x   "
              f"p90 {p90(h) / p90(r):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
