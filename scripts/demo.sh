#!/usr/bin/env bash
# The README's demo (as root): set up, build a busybox bundle in a temp dir, and run one
# container with hutch-runtime that shows its isolation (hostname, pid 1, its own process
# list, uid map, mounts); then import the same root filesystem as an image and run it with
# the engine, `hutch run --rm`, and serve a page from a container on a published port.
# Everything it makes is removed on exit. It runs in a network and mount namespace of its own,
# so the bridge, addresses and nftables rules of hutch's default network are made there, not
# on the machine, and go with it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${HUTCH_DEMO_NAMESPACES:-}" ]; then
    bash "$repo/scripts/setup.sh"
    HUTCH_DEMO_NAMESPACES=1 exec unshare --net --mount --propagation private bash "$0" "$@"
fi
ip link set lo up

hr="$repo/.venv/bin/hutch-runtime"
py="$repo/.venv/bin/python"
root=/run/hutch-demo
cid="hutch-demo-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
bundle=$(mktemp -d /tmp/hutch-demo.XXXXXX)
store=$(mktemp -d /tmp/hutch-demo-store.XXXXXX)
runroot=/run/hutch-demo-engine
hutch="$repo/.venv/bin/hutch --root $store --runroot $runroot"
cleanup() {
    $hutch rm -f demo-ticker demo-web >/dev/null 2>&1 || true
    "$hr" --root "$root" delete --force "$cid" >/dev/null 2>&1 || true
    rmdir "$root" 2>/dev/null || true
    rm -rf "$bundle" "$store" "$runroot"
}
trap cleanup EXIT

# rootfs: static busybox, a relative symlink per applet, passwd and group
rootfs="$bundle/rootfs"
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

# config.json: hutch-runtime's default spec, without a terminal, running the demo script
"$hr" spec --bundle "$bundle"
"$py" - "$bundle/config.json" <<'PY'
import json
import sys

path = sys.argv[1]
with open(path) as f:
    cfg = json.load(f)
cfg["process"]["terminal"] = False
cfg["process"]["args"] = [
    "sh", "-c",
    "echo hostname: $(hostname); echo pid: $$; ps; cat /proc/self/uid_map; mount | head",
]
with open(path, "w") as f:
    json.dump(cfg, f, indent=2)
PY

echo "--- host: hostname $(hostname), this shell is pid $$"
echo "--- $hr --root $root run --bundle $bundle $cid"
"$hr" --root "$root" run --bundle "$bundle" "$cid"

echo
echo "--- the engine: tar the same rootfs into an image, then run it"
tar -C "$rootfs" -cf "$bundle/rootfs.tar" .
echo "--- hutch import rootfs.tar demo-busybox:1"
$hutch import "$bundle/rootfs.tar" demo-busybox:1
$hutch images
echo "--- hutch run --rm -m 64m demo-busybox:1 sh -c '...'"
$hutch run --rm -m 64m demo-busybox:1 sh -c \
    'echo hostname: $(hostname); echo pid: $$; grep " / / " /proc/self/mountinfo; grep ^Seccomp: /proc/self/status;
     f=/sys/fs/cgroup/memory/memory.limit_in_bytes; [ -e $f ] || f=/sys/fs/cgroup/memory.max; echo memory limit: $(cat $f)'
echo "--- hutch run -d --name demo-ticker ...; hutch exec; hutch logs; hutch stop"
$hutch run -d --name demo-ticker demo-busybox:1 sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done' >/dev/null
$hutch exec demo-ticker sh -c 'echo exec in the running container: pid $$, hostname $(hostname)'
sleep 0.5
$hutch logs --tail 2 demo-ticker
$hutch ps --format '{{.Names}}: {{.Status}}'
$hutch stop -t 1 demo-ticker >/dev/null
$hutch ps -a --format '{{.Names}}: {{.Status}}'
$hutch rm demo-ticker >/dev/null
echo
echo "--- the default network: a web server in a container, published on 127.0.0.1:8080"
echo "--- hutch run -d --name demo-web -p 8080:80 demo-busybox:1 httpd -f -p 80 -h /www"
$hutch run -d --name demo-web -p 8080:80 demo-busybox:1 \
    sh -c 'mkdir /www; echo "hello from $(hostname), $(ip -4 -o addr show eth0 | cut -d" " -f7)" >/www/index.html;
           exec httpd -f -p 80 -h /www' >/dev/null
$hutch port demo-web
for _ in 1 2 3 4 5 6 7 8 9 10; do out=$(busybox wget -qO- http://127.0.0.1:8080/ 2>/dev/null) && break; sleep 0.2; done
echo "--- busybox wget -qO- http://127.0.0.1:8080/"
echo "$out"
$hutch rm -f demo-web >/dev/null
