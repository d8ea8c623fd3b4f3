"""Containers on bridge networks through `hutch` (`--network bridge|NAME`, `-p`), checked from
"the host" and from other containers, and swept by `rm -f`.

Every command runs in one ``unshare -n -m`` session of the test's own: its network namespace is
"the host" (its bridges, veths, nftables table and sysctls are the test's), its private mount
namespace holds the containers' namespace files, and the store's supervisor, started in it,
lives there too. Traffic goes only between that namespace and the containers'."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.leaks import find_leaks

pytestmark = pytest.mark.root

HUTCH = REPO / ".venv" / "bin" / "hutch"

SCRIPT = textwrap.dedent(r"""
    set -u
    H="$HUTCH --root $ROOT --runroot $RUNROOT"
    R="$H run --pull never"
    ERR="$ROOT.err"
    say() { printf '%s=%s\n' "$1" "$2"; }
    get() { python3 -c 'import sys, urllib.request
    try:
        print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode().strip())
    except Exception as err:
        print("ERR", err)' "$1"; }
    ip link set lo up
    # a host address other than 127.0.0.1: one end of a veth pair that goes nowhere
    ip link add hutch-d0 type veth peer name hutch-d1 && ip addr add 10.202.0.1/24 dev hutch-d0
    ip link set hutch-d0 up && ip link set hutch-d1 up
    $H import "$TARBALL" hbox:1 >/dev/null
    WEB='mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www'
    $R -d --name web --network bridge -p 8080:80 -p 127.0.0.1:8081:80 hbox:1 sh -c "$WEB" >/dev/null
    IP=$($H inspect web | python3 -c 'import json, sys
    print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
    say ip "$IP"
    sleep 0.3
    say localhost "$(get http://127.0.0.1:8080/)"
    say host_address "$(get http://10.202.0.1:8080/)"
    say bound "$(get http://127.0.0.1:8081/)"
    say bound_elsewhere "$(get http://10.202.0.1:8081/)"
    say direct "$(get http://$IP/)"
    say from_container "$($R --rm --network bridge hbox:1 wget -qO- http://$IP/ 2>&1)"
    say hairpin "$($R --rm --network bridge hbox:1 wget -qO- http://10.202.0.1:8080/ 2>&1)"
    say hosts "$($H exec web cat /etc/hosts | tail -1)"
    say resolv "$($H exec web cat /etc/resolv.conf | grep -c '^nameserver 127' )"
    say port "$($H port web | tr '\n' ';')"
    say port80 "$($H port web 80 | tr '\n' ';')"
    say port81 "$( { $H port web 81/udp 2>&1; echo rc=$?; } | tr '\n' ' ')"
    say ps "$($H ps --format '{{.Ports}}')"
    $H network create front >/dev/null
    say front_ip "$($R --rm --network front hbox:1 ip -4 addr show eth0 | grep -o 'inet [0-9./]*')"
    say front_default "$($R --rm --network front hbox:1 ip route | head -1)"
    say none "$($R --rm --network none hbox:1 ip -o link | grep -c -v ' lo:')"
    # no --network: the default bridge, as docker's
    say default_ip "$($R --rm hbox:1 ip -4 addr show eth0 | grep -o 'inet [0-9./]*')"
    say default_route "$($R --rm hbox:1 ip route | head -1)"
    $R --name dflt hbox:1 true
    say default_mode "$($H inspect dflt | python3 -c 'import json, sys
    print(json.load(sys.stdin)[0]["HostConfig"]["NetworkMode"])')"
    $H rm dflt >/dev/null
    $R -d --name twin --network bridge -p 8080:80 hbox:1 sleep 100 >/dev/null 2>$ERR
    say conflict_rc "$?"
    say conflict "$(cat $ERR)"
    python3 -c 'import socket, time
    s = socket.socket(); s.bind(("0.0.0.0", 8090)); s.listen(); time.sleep(10)' &
    HOLDER=$!
    sleep 0.3
    $R --rm --network bridge -p 8090:80 hbox:1 true >/dev/null 2>$ERR
    say held_rc "$?"
    say held "$(cat $ERR)"
    kill $HOLDER
    rm -f $ERR
    $R -d --network front --name f1 hbox:1 sleep 100 >/dev/null
    say rm_front_in_use "$($H network rm front 2>&1)"
    # names: on a user network each container finds the others, those that start later too
    say by_name "$($R --rm --network front hbox:1 ping -c 1 -W 2 f1 | head -1)"
    F1_HOST=$($H exec f1 hostname)
    say by_hostname "$($R --rm --network front hbox:1 ping -c 1 -W 2 $F1_HOST | grep -c '1 packets received')"
    $R -d --network front --name f2 hbox:1 sleep 100 >/dev/null
    say later "$($H exec f1 ping -c 1 -W 2 f2 | grep -c '1 packets received')"
    say members "$($H network inspect front | python3 -c 'import json, sys
    members = json.load(sys.stdin)[0]["Containers"].values()
    print(",".join(sorted(c["Name"] + "@" + c["IPv4Address"] for c in members)))')"
    say with_runc "$($H --runtime runc run --rm --pull never --network front -p 8095:80 hbox:1 \
        ping -c 1 -W 2 f1 | grep -c '1 packets received')"
    # another container's network: its address, its names, its hostname
    say shared "$($R --rm --network container:f1 hbox:1 sh -c 'ip -o -4 addr show eth0; hostname' \
        | grep -o 'inet [0-9.]*\|^[0-9a-f]\{12\}$' | tr '\n' ';')"
    say shared_of "$($H exec f1 sh -c 'ip -o -4 addr show eth0; hostname' \
        | grep -o 'inet [0-9.]*\|^[0-9a-f]\{12\}$' | tr '\n' ';')"
    $H create --name idle hbox:1 true >/dev/null
    $R --rm --network container:idle hbox:1 true 2>$ERR
    say shared_idle "$? $(cat $ERR)"
    $H rm idle >/dev/null
    say default_by_name "$($R --rm --network bridge hbox:1 ping -c 1 -W 1 web 2>&1 | head -1)"
    $H rm -f f2 >/dev/null
    say gone "$($H exec f1 grep -cw f2 /etc/hosts)"
    $R -d --network front --name f3 --network-alias db --ip 10.89.0.50 --mac-address 02:42:0a:59:00:99 \
        --add-host gw:host-gateway --add-host ext:192.0.2.7 --dns 192.0.2.53 --dns-search example.test \
        --dns-option ndots:2 hbox:1 sleep 100 >/dev/null
    say alias "$($R --rm --network front hbox:1 ping -c 1 -W 2 db | head -1)"
    say f3_mac "$($H exec f3 cat /sys/class/net/eth0/address)"
    say f3_hosts "$($H exec f3 grep -E '[[:space:]](gw|ext)$' /etc/hosts | tr '\n\t' '; ')"
    say f3_resolv "$($H exec f3 cat /etc/resolv.conf | tr '\n' ';')"
    say none_hosts "$($R --rm --add-host ext:192.0.2.7 hbox:1 grep ext /etc/hosts | tr '\t' ' ')"
    $H rm -f f3 >/dev/null
    $R -d --name pall --network bridge --expose 80 --expose 90-91/udp -P hbox:1 sh -c "$WEB" >/dev/null
    say pall "$($H port pall | tr '\n' ';')"
    PALL=$($H port pall 80/tcp | sed 's/.*://')
    sleep 0.3
    say pall_get "$(get http://127.0.0.1:$PALL/)"
    $H rm -f pall >/dev/null
    # UDP: datagrams to a published port, on 127.0.0.1 and on a host address, reach the container
    # (busybox has no UDP server: the host's python, chrooted into from the container's namespaces)
    $R -d --name u1 -p 8053:53/udp -v /:/host:ro hbox:1 chroot /host /usr/bin/python3 -c 'import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 53))
    for _ in range(2):
        print(s.recvfrom(100)[0].decode(), end=";", flush=True)' >/dev/null
    sleep 0.5
    python3 -c 'import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"on-localhost", ("127.0.0.1", 8053)); s.sendto(b"on-host-address", ("10.202.0.1", 8053))'
    sleep 0.3
    say udp "$($H logs u1)"
    $H rm -f u1 >/dev/null
    # "the internet": a namespace of its own joined by a veth; a container on the default network
    # reaches it, masqueraded behind the host's address on that link
    unshare -n sleep 60 &
    OUTSIDE=$!
    sleep 0.1
    ip link add hutch-o0 type veth peer name hutch-o1 netns $OUTSIDE
    ip addr add 10.203.0.1/24 dev hutch-o0 && ip link set hutch-o0 up
    nsenter -t $OUTSIDE -n sh -c 'ip addr add 10.203.0.2/24 dev hutch-o1 && ip link set hutch-o1 up'
    nsenter -t $OUTSIDE -n python3 -c 'import socket
    s = socket.socket(); s.bind(("10.203.0.2", 7000)); s.listen()
    c, peer = s.accept(); c.sendall(peer[0].encode()); c.close()' &
    SERVER=$!
    sleep 0.3
    say outside "$($R --rm hbox:1 nc 10.203.0.2 7000 </dev/null)"
    kill $SERVER $OUTSIDE 2>/dev/null
    # concurrent runs get distinct addresses
    for n in 1 2 3 4; do $R -d --name cc$n --network front hbox:1 sleep 100 >/dev/null & done
    wait
    say concurrent "$(for n in 1 2 3 4; do $H inspect cc$n | python3 -c 'import json, sys
    print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])'; done | sort -u | wc -l)"
    $H rm -f cc1 cc2 cc3 cc4 >/dev/null
    # connect and disconnect, running and across a restart
    $H network create back2 >/dev/null
    $R -d --name c1 --network front hbox:1 sleep 100 >/dev/null
    $H network connect --alias svc back2 c1
    say c1_links "$($H exec c1 ip -o link | grep -c 'eth[0-9]')"
    say c1_eth1 "$($H exec c1 ip -o -4 addr show eth1 | grep -o 'inet 10.89.[0-9.]*')"
    say by_alias2 "$($R --rm --network back2 hbox:1 ping -c 1 -W 2 svc | grep -c '1 packets received')"
    say connect_twice "$($H network connect back2 c1 2>&1)"
    $H network disconnect back2 c1
    say c1_links_after "$($H exec c1 ip -o link | grep -c 'eth[0-9]')"
    say disconnect_twice "$($H network disconnect back2 c1 2>&1)"
    $H network connect back2 c1
    $H stop -t 1 c1 >/dev/null && $H start c1 >/dev/null
    say c1_after_restart "$($H exec c1 ip -o link | grep -c 'eth[0-9]')"
    $H rm -f c1 >/dev/null
    $H network rm back2 >/dev/null
    $H rm -f web twin f1 >/dev/null
    say links "$(ip -o link | grep -c ' hutch[0-9a-f]\{10\}')"
    say netns "$(ls $RUNROOT/netns | wc -l)"
    say leases "$(cat $ROOT/networks/leases/*.json | tr -d '\n')"
    say elements "$(nft list map inet hutch tcp4 | grep -c elements)"
    say rm_front "$($H network rm front)"
    $H network rm bridge >/dev/null
    say ruleset "$(nft list ruleset | wc -l)"
""")


def _session(tmp_path: Path, rootfs_template: Path, script: str, *, runroot_prefix: str = "hutch-brtest",
             ) -> dict[str, str]:
    """Run ``script`` (sh) in a network and private mount namespace of its own, with HUTCH, ROOT,
    RUNROOT (a store of its own, /run/``runroot_prefix``-...) and TARBALL (the busybox rootfs)
    set; its ``KEY=VALUE`` lines. Whatever it leaves (a process naming the store, the runroot)
    goes, and fails the test."""
    root, runroot = tmp_path / "store", f"/run/{runroot_prefix}-{secrets.token_hex(4)}"
    tarball = tmp_path / "rootfs.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(rootfs_template, arcname=".")
    env = {"HUTCH": str(HUTCH), "ROOT": str(root), "RUNROOT": runroot, "TARBALL": str(tarball),
           "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    try:
        r = subprocess.run(["unshare", "-n", "-m", "--propagation", "private", "sh", "-c", script],
                           capture_output=True, text=True, timeout=240, env=env, check=False)
        out = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
        assert r.returncode == 0, (r.stderr, out)
    finally:
        leaks = find_leaks([], markers=[str(root)], clean=True)
        shutil.rmtree(runroot, ignore_errors=True)
    assert not leaks, leaks
    return out


def test_containers_on_bridge_networks(tmp_path: Path, rootfs_template: Path) -> None:
    out = _session(tmp_path, rootfs_template, SCRIPT)
    ip = out["ip"]
    assert ip.startswith("10.88.") and ip != "10.88.0.1"
    for key in ("localhost", "host_address", "bound", "direct", "from_container", "hairpin"):
        assert out[key] == "hello", (key, out)
    assert "refused" in out["bound_elsewhere"], out
    assert out["hosts"].startswith(f"{ip}\t") and out["resolv"] == "0"
    assert out["port"] == "80/tcp -> 0.0.0.0:8080;80/tcp -> 127.0.0.1:8081;"
    assert out["port80"] == "0.0.0.0:8080;127.0.0.1:8081;"  # (docker's: PRIVATE given, the addresses alone)
    assert out["port81"].strip() == "Error: No public port '81/udp' published for web rc=1", out["port81"]
    assert out["ps"] == "0.0.0.0:8080->80/tcp, 127.0.0.1:8081->80/tcp"
    assert out["front_ip"].startswith("inet 10.89.") and out["front_default"].startswith("default via 10.89.")
    assert out["none"] == "0"
    assert out["default_ip"].startswith("inet 10.88.") and out["default_ip"].endswith("/16"), out
    assert out["default_route"].startswith("default via 10.88.0.1 dev eth0"), out
    assert out["default_mode"] == "bridge", out
    assert out["conflict_rc"] == "125"
    assert "Bind for 0.0.0.0:8080 failed: port is already allocated" in out["conflict"]
    assert len(out["conflict"].strip().splitlines()) == 1
    assert out["held_rc"] == "125"
    assert "Bind for 0.0.0.0:8090 failed: port is already allocated" in out["held"]
    assert "has active endpoints (f1)" in out["rm_front_in_use"]
    assert out["by_name"].startswith("PING f1 (10.89."), out
    assert (out["by_hostname"], out["later"], out["gone"], out["with_runc"]) == ("1", "1", "0", "1"), out
    assert out["shared"] == out["shared_of"] and out["shared"].startswith("inet 10.89."), out
    assert out["members"] == "f1@10.89.0.2/24,f2@10.89.0.3/24", out
    assert out["shared_idle"] == "125 Error: cannot join network of a non running container: idle", out
    assert "bad address" in out["default_by_name"], out  # docker's default bridge: no names
    assert out["alias"].startswith("PING db (10.89.0.50)"), out  # --network-alias and --ip
    assert out["f3_mac"] == "02:42:0a:59:00:99"
    assert out["f3_hosts"] == "10.89.0.1 gw;192.0.2.7 ext;", out
    assert out["f3_resolv"] == "nameserver 192.0.2.53;search example.test;options ndots:2;", out
    assert out["none_hosts"] == "192.0.2.7 ext"
    assert (out["c1_links"], out["by_alias2"], out["c1_links_after"], out["c1_after_restart"]) == \
        ("2", "1", "1", "2"), out
    assert out["c1_eth1"].startswith("inet 10.89."), out
    assert "already exists in network back2" in out["connect_twice"], out
    assert out["concurrent"] == "4", out
    assert "is not connected to network back2" in out["disconnect_twice"], out
    pall = out["pall"].rstrip(";").split(";")
    assert [p.split(" -> ")[0] for p in pall] == ["80/tcp", "90/udp", "91/udp"], out
    assert out["udp"] == "on-localhost;on-host-address;", out
    assert out["outside"] == "10.203.0.1", out  # masqueraded
    assert all(p.split(" -> ")[1].startswith("0.0.0.0:") and int(p.rsplit(":", 1)[1]) > 1024 for p in pall)
    assert out["pall_get"] == "hello"
    assert (out["links"], out["netns"], out["elements"]) == ("0", "0", "0"), out
    assert out["leases"] == "{}{}", out  # the two networks' leases files, empty
    assert out["rm_front"] == "front" and out["ruleset"] == "0"


def test_the_suite_never_makes_a_network_in_the_machines_namespace(tmp_path: Path) -> None:
    """HUTCH_NETWORK_SANDBOX_ONLY (the suite sets it): `prepare` refuses the namespace of pid 1.
    Tried in a namespace of the test's own, standing in for the machine's."""
    code = textwrap.dedent("""
        import os
        from hutch.engine import netattach
        from hutch.errors import HutchError
        netattach.machines_netns = lambda: os.readlink("/proc/self/ns/net")  # "the machine's" is ours
        try:
            netattach.prepare(None, {"id": "x" * 64, "network": "bridge"}, "/none", "/none")
        except HutchError as err:
            print(err)
    """)
    r = subprocess.run(["unshare", "-n", sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "HUTCH_NETWORK_SANDBOX_ONLY": "1"}, timeout=30, check=False)
    assert "refusing to make a bridge network in the machine's own network namespace" in r.stdout, r


KILLS = textwrap.dedent(r"""
    set -u
    H="$HUTCH --root $ROOT --runroot $RUNROOT"
    ip link set lo up
    $H import "$TARBALL" hbox:1 >/dev/null
    $H network create front >/dev/null
    for point in planned netns leased joined published; do
        point=engine.net.$point
        HUTCH_RUNTIME_KILL_AT=$point $H run --pull never -d --name k --network front -p 8080:80 hbox:1 \
            sleep 100 >/dev/null 2>&1
        rc=$?
        $H rm -f k >/dev/null
        LEASES=$(cat $ROOT/networks/leases/*.json 2>/dev/null | tr -d ' \n')
        printf '%s=%s,%s,%s,%s,%s\n' "$point" "$rc" "$(ip -o link | grep -c ' hutch[0-9a-f]\{10\}')" \
            "$(ls $RUNROOT/netns 2>/dev/null | wc -l)" "${LEASES:-{\}}" \
            "$(nft list map inet hutch tcp4 2>/dev/null | grep -c elements)"
    done
    $H run --pull never -d --name k --network front -p 8080:80 hbox:1 sleep 100 >/dev/null
    printf 'after=%s\n' "$($H ps --format '{{.Ports}}')"
    $H rm -f k >/dev/null
    # a killed supervisor: the container keeps its network (the keeper hands it over); both
    # killed: `ps` finds it lost (255), and its network is swept with it
    WEB='mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www'
    $H run --pull never -d --name ks --network front -p 8081:80 hbox:1 sh -c "$WEB" >/dev/null
    sleep 0.3
    kill -9 $(cut -d' ' -f1 $RUNROOT/hutch-supervisor.pid)
    sleep 1
    printf 'handed_over=%s\n' "$(busybox wget -qO- http://127.0.0.1:8081/ 2>&1)"
    kill -9 $(cut -d' ' -f1 $RUNROOT/hutch-keeper.pid) $(cut -d' ' -f1 $RUNROOT/hutch-supervisor.pid)
    sleep 0.5
    printf 'lost=%s\n' "$($H ps -a --format '{{.Names}} {{.Status}}' | grep '^ks ' | cut -c1-15)"
    LEASES=$(cat $ROOT/networks/leases/*.json 2>/dev/null | tr -d ' \n')
    printf 'swept=%s,%s,%s,%s\n' "$(ip -o link | grep -c ' hutch[0-9a-f]\{10\}')" \
        "$(ls $RUNROOT/netns 2>/dev/null | wc -l)" "${LEASES:-{\}}" \
        "$(nft list map inet hutch tcp4 2>/dev/null | grep -c elements)"
    $H rm -f ks >/dev/null
    $H network rm front >/dev/null
""")


def test_a_killed_start_leaves_nothing_rm_does_not_sweep(tmp_path: Path, rootfs_template: Path) -> None:
    """kill -9 of `hutch run` at each step of joining a network: `rm -f` sweeps the veth, the
    namespace's file, the lease and the published port, and the next run works. kill -9 of the
    supervisor: the container keeps its network; of the supervisor and its keeper: `ps` finds
    the container lost and sweeps its network."""
    out = _session(tmp_path, rootfs_template, KILLS)
    for point in ("engine.net.planned", "engine.net.netns", "engine.net.leased", "engine.net.joined",
                  "engine.net.published"):
        assert out[point] == "137,0,0,{},0", (point, out)  # killed; no link, netns, lease or port left
    assert out["after"] == "0.0.0.0:8080->80/tcp"
    assert out["handed_over"] == "hello", out
    assert out["lost"] == "ks Exited (255)", out
    assert out["swept"] == "0,0,{},0", out
