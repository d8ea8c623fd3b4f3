#!/usr/bin/env bash
# The README's demo: set up, build a busybox bundle, and run one isolated container with
# hutch-runtime. Run as root.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/scripts/setup.sh"

bundle=$(mktemp -d /tmp/hutch-demo.XXXXXX)
root=/run/hutch-demo
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
"$bundle/rootfs/bin/busybox" --install -s "$bundle/rootfs/bin"
mkdir -p "$bundle/rootfs/"{proc,sys,dev,tmp,etc,root}
echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$bundle/rootfs/etc/group"

hr="$repo/.venv/bin/hutch-runtime"
"$hr" spec --bundle "$bundle"
"$repo/.venv/bin/python" - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
cfg = json.load(open(path))
cfg["process"]["terminal"] = False
cfg["process"]["args"] = ["sh", "-c",
    "echo \"hostname:  $(hostname)\"; echo \"my pid:    $$\"; echo processes:; ps;"
    " echo \"uid_map:   $(cat /proc/self/uid_map)\"; echo mounts:; mount | head -8"]
json.dump(cfg, open(path, "w"), indent=2)
PY
echo "--- hutch-runtime run (host: $(hostname), pid $$) ---"
"$hr" --root "$root" run --bundle "$bundle" "hutch-demo-$$"
