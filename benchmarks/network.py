"""`run --rm` on the default bridge network: hutch next to podman's default (netavark), in
one run, in a network namespace and a private mount namespace of the benchmark's own.

    sudo .venv/bin/python benchmarks/network.py [--rounds 20]

Each round runs, in alternating order, ``run --rm IMAGE true`` on the default bridge network
(hutch: no ``--network``, its default bridge hutch0; podman: its default ``podman`` network through
netavark, with runc) and, for scale, with ``--network none``. Both tools' bridges, veths,
firewall rules and sysctls are made in the benchmark's own network namespace (``unshare -n -m``,
entered by the script itself), never in the machine's; nothing leaves it. Prints medians, p90s
and the ratios hutch/podman; asserts nothing. Stores and namespaces go at the end, and so does
/run/netns, which podman makes, when it was not there before.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.engine import IMAGE, PODMAN_CONF, Hutch, Podman, Tool, report  # noqa: E402
from tests.support.bundles import rootfs_template  # noqa: E402

INSIDE = "HUTCH_BENCH_NETNS"


class HutchBridge(Hutch):
    def run_rm(self) -> float:
        return self.timed("run", "--rm", IMAGE, "true")


class PodmanBridge(Podman):
    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        conf = workdir / "containers-bridge.conf"
        conf.write_text(PODMAN_CONF.format(runroot=self.runroot).replace('netns = "none"\n', ""))
        self.env["CONTAINERS_CONF"] = str(conf)

    def run_rm(self) -> float:
        return self.timed("run", "--rm", "--cgroup-parent", self.parent, IMAGE, "true")


class Plain(Tool):
    """One tool's `run --rm --network none`, timed beside its bridge runs."""

    def __init__(self, base: Tool) -> None:
        super().__init__()
        self.base, self.name = base, f"{base.name} none"
        self.times: list[float] = []

    def run_rm(self) -> float:
        extra = ["--cgroup-parent", self.base.parent] if isinstance(self.base, Podman) else []
        return self.base.timed("run", "--rm", "--network", "none", *extra, IMAGE, "true")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1)
    opts = ap.parse_args()
    if os.geteuid() != 0:
        print("network: run as root", file=sys.stderr)
        return 1
    if os.environ.get(INSIDE) != "1":  # into a network and mount namespace of our own first
        env = {**os.environ, INSIDE: "1"}
        had_netns_dir = os.path.exists("/run/netns")
        try:
            return subprocess.run(["unshare", "-n", "-m", "--propagation", "private", sys.executable,
                                   __file__, *sys.argv[1:]], env=env, check=False).returncode
        finally:
            # podman makes /run/netns for its namespaces' files (the directory is the host's
            # even from our mount namespace): it goes again if it was not there and is empty
            if not had_netns_dir:
                try:
                    os.rmdir("/run/netns")
                except OSError:
                    pass
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    workdir = Path(tempfile.mkdtemp(prefix="hutch-bench-net-"))
    hutch, podman = HutchBridge("hutch", workdir), PodmanBridge(workdir)
    hutch.env.pop("HUTCH_NETWORK_SANDBOX_ONLY", None)
    tools: list[Tool] = [hutch, podman]
    t0 = time.monotonic()
    try:
        tar = workdir / "rootfs.tar"
        with tarfile.open(tar, "w") as t:
            t.add(rootfs_template(workdir), arcname=".")
        for tool in (hutch, podman):
            tool.call("import", str(tar), IMAGE)
        runs: list[Tool] = [hutch, podman, Plain(hutch), Plain(podman)]
        for tool in runs:
            tool.times = []
        for i in range(opts.warmup + opts.rounds):
            for tool in runs if i % 2 == 0 else runs[::-1]:
                ms = tool.run_rm()
                if i >= opts.warmup:
                    tool.times.append(ms)
        print(f"network benchmark, {os.cpu_count()} CPUs, load average "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        report(f"run --rm {IMAGE} true on the default bridge network: {opts.rounds} rounds "
               f"(after {opts.warmup} warm-up)", {"hutch": hutch.times, "podman": podman.times}, "<= 0.3x")
        report("the same with --network none, for scale",
               {"hutch": runs[2].times, "podman": runs[3].times})
    finally:
        for tool in tools:
            tool.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n(took {time.monotonic() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
