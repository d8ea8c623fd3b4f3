"""IPv6 on user bridge networks (`network create --ipv6`), through `hutch`: addresses, routes,
names in /etc/hosts, inspect, a given subnet and --ip6, masquerade to an "outside" namespace,
an internal network, a published port on a host IPv6 address, leases after kill -9 and rm -f,
and the errors.

As in test_engine_bridge.py, every command runs in one ``unshare -n -m`` session of the test's
own ("the host"); the "outside" is a namespace of a ``sleep`` started in it (``unshare -n``),
joined to the host by a veth (2001:db8:201::/64, the documentation prefix). Traffic goes only
between these namespaces and the containers'."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from tests.integration.test_engine_bridge import _session

pytestmark = pytest.mark.root

SCRIPT = r"""
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
field() { python3 -c 'import json, sys
doc = json.load(sys.stdin)[0]
for key in sys.argv[1].split("."):
    doc = doc[key]
print(json.dumps(doc) if isinstance(doc, (dict, list, bool)) else doc)' "$1"; }
nleases() { python3 -c 'import json, sys
print(sum(len(json.load(open(f))) for f in sys.argv[1:]))' $ROOT/networks/leases/*.json; }
ip link set lo up
# a global IPv6 address of the host's: one end of a veth pair that goes nowhere
ip link add hutch-d0 type veth peer name hutch-d1 && ip addr add 2001:db8:202::1/64 dev hutch-d0 nodad
ip link set hutch-d0 up && ip link set hutch-d1 up
# the outside: 2001:db8:201::2, one veth away from the host's 2001:db8:201::1
unshare -n sleep 200 &
OUTSIDE=$!
while [ "$(readlink /proc/$OUTSIDE/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.01; done
O="nsenter -t $OUTSIDE -n"
ip link add hutch-o0 type veth peer name eth0 netns $OUTSIDE
ip addr add 2001:db8:201::1/64 dev hutch-o0 nodad && ip link set hutch-o0 up
$O ip link set lo up && $O ip link set eth0 up && $O ip addr add 2001:db8:201::2/64 dev eth0 nodad
$O python3 -c 'import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7000)); s.listen(8)
while True:
    c, peer = s.accept(); c.recv(1000)
    c.sendall(f"HTTP/1.0 200 OK\r\n\r\nyou are {peer[0]}\n".encode()); c.close()' &
SERVER=$!
$H import "$TARBALL" hbox:1 >/dev/null

# a network with IPv6: a unique-local /64 of its own
$H network create --ipv6 v6a >/dev/null
say net "$($H network inspect v6a | python3 -c 'import json, sys
n = json.load(sys.stdin)[0]
print(n["EnableIPv6"], ",".join(c["Subnet"] + "@" + c["Gateway"] for c in n["IPAM"]["Config"]))')"
say id "$($H network inspect v6a | field Id)"
say ls "$($H network ls | grep -w v6a | tr -s ' ' | cut -d' ' -f2-)"
say bridge_v6 "$($H network inspect bridge | field EnableIPv6)"
WEB='mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www'
$R -d --name v6one --network v6a -p 8080:80 hbox:1 sh -c "$WEB" >/dev/null
$R -d --name v6two --network v6a hbox:1 sleep 100 >/dev/null
say addr "$($H exec v6one ip -6 -o addr show dev eth0 scope global | grep -o 'inet6 [^ ]*')"
# (iproute2's ip, which shows the flags, in the container's namespace)
say nodad "$(nsenter --net="$($H inspect v6one | field NetworkSettings.SandboxKey)" \
    ip -6 -o addr show dev eth0 scope global | grep -c nodad)"
say route "$($H exec v6one ip -6 route show default | cut -d' ' -f1-5)"
say hosts "$($H exec v6one cat /etc/hosts | grep -w v6two | cut -f1 | tr '\n' ';')"
say hosts_self "$($H exec v6one cat /etc/hosts | grep -w v6one | cut -f1 | tr '\n' ';')"
say ping6 "$($H exec v6one ping -6 -c 1 -W 2 v6two | head -1)"
say ping6_ok "$($H exec v6one ping -6 -c 1 -W 2 v6two | grep -c '1 packets received')"
say ping4 "$($H exec v6one ping -4 -c 1 -W 2 v6two | grep -c '1 packets received')"
say inspect "$($H inspect v6one | field NetworkSettings)"
say members "$($H network inspect v6a | python3 -c 'import json, sys
members = json.load(sys.stdin)[0]["Containers"].values()
print(",".join(sorted(c["Name"] + "@" + c["IPv6Address"] for c in members)))')"
say bridge_addr "$(ip -6 -o addr show dev hutch1 scope global | grep -o 'inet6 [^ ]*.*nodad' | cut -d' ' -f2)"
say forwarding "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
# out, masqueraded, to the outside
say out "$($H exec v6one wget -qO- 'http://[2001:db8:201::2]:7000/' 2>&1)"
# the published port from the host's IPv6 address, from outside, and not from ::1 (see firewall.py)
sleep 0.3
say pub_host "$(get 'http://[2001:db8:202::1]:8080/')"
say pub_outside "$($O wget -qO- 'http://[2001:db8:201::1]:8080/' 2>&1)"
say pub_v4 "$(get http://127.0.0.1:8080/)"
say pub_loopback6 "$(get 'http://[::1]:8080/')"
say hairpin6 "$($H exec v6two wget -qO- 'http://[2001:db8:202::1]:8080/' 2>&1)"
say elements6 "$(nft list map inet hutch tcp6 | grep -c 'elements = { 8080 : ')"

# an internal network: no way out over IPv6 either (a default route put in by hand)
$H network create --ipv6 --internal v6i >/dev/null
$R -d --name v6in --network v6i hbox:1 sleep 100 >/dev/null
GW6=$($H inspect v6in | field NetworkSettings.IPv6Gateway)
nsenter --net="$($H inspect v6in | field NetworkSettings.SandboxKey)" ip -6 route add default via "$GW6"
say internal_route "$($H exec v6in ip -6 route show default | cut -d' ' -f1-3)"
$H exec v6in wget -T 2 -qO- 'http://[2001:db8:201::2]:7000/' >/dev/null 2>&1
say internal_out "$?"
$H rm -f v6in >/dev/null

# a subnet and a gateway given (once per family), --ip6, network connect --ip6
$H network create --ipv6 --subnet 10.77.0.0/24 --subnet fd00:77::/64 --gateway fd00:77::fe v6b >/dev/null
say net_b "$($H network inspect v6b | python3 -c 'import json, sys
n = json.load(sys.stdin)[0]
print(",".join(c["Subnet"] + "@" + c["Gateway"] for c in n["IPAM"]["Config"]))')"
$R -d --name v6three --network v6b --ip6 fd00:77::50 hbox:1 sleep 100 >/dev/null
say given "$($H exec v6three ip -6 -o addr show dev eth0 scope global | grep -o 'inet6 [^ ]*')"
say given_route "$($H exec v6three ip -6 route show default | cut -d' ' -f1-3)"
say given_next "$($R --rm --network v6b hbox:1 ip -6 -o addr show dev eth0 scope global \
    | grep -o 'inet6 [^ ]*')"
$H network connect --ip6 fd00:77::77 v6b v6two
say connected "$($H exec v6two ip -6 -o addr show dev eth1 scope global | grep -o 'inet6 [^ ]*')"
say connected_ping "$($H exec v6three ping -6 -c 1 -W 2 v6two | head -1)"
$H network disconnect v6b v6two

# errors: one line each, exit 125 for run, nothing left
$H network create --subnet fd00:78::/64 v6bad >/dev/null 2>$ERR
say no_ipv6 "$? $(cat $ERR)"
say no_ipv6_lines "$(wc -l < $ERR)"
say no_ipv6_left "$($H network ls --format '{{.Name}}' | grep -c v6bad)"
$R -d --name v6out --network v6a --ip6 fd00:dead::5 hbox:1 sleep 100 >/dev/null 2>$ERR
say outside_subnet "$? $(cat $ERR)"
say outside_subnet_lines "$(wc -l < $ERR)"
$R -d --name v6no --network v6a --ip6 junk hbox:1 sleep 100 >/dev/null 2>$ERR
say not_v6 "$? $(cat $ERR)"
$H network create front4 >/dev/null
$R -d --name v6four --network front4 --ip6 fd00:1::5 hbox:1 sleep 100 >/dev/null 2>$ERR
say no_v6_net "$? $(cat $ERR)"
say left "$($H ps -a --format '{{.Names}}' | grep -c 'v6out\|v6no\|v6four')"
$H network create --ipv6 --subnet fd00:79::/64 --subnet fd00:80::/64 v6two_subnets >/dev/null 2>$ERR
say two_v6 "$? $(cat $ERR)"
# on a network without IPv6: the IPv6 fields empty, as docker's
$R -d --name v6four --network front4 hbox:1 sleep 100 >/dev/null
say v4_only "$($H inspect v6four | python3 -c 'import json, sys
ns = json.load(sys.stdin)[0]["NetworkSettings"]
print([ns[k] for k in ("GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPv6Gateway")],
      [ns["Networks"]["front4"][k] for k in ("GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPv6Gateway")])')"
say v4_only_addr "$($H exec v6four ip -6 -o addr show scope global | wc -l)"
$H rm -f v6four >/dev/null
rm -f $ERR

# kill -9 of the run at each step of joining, then rm -f; kill -9 of the container: no IPv6
# lease, link or published port left
for point in planned netns leased joined published; do
    HUTCH_RUNTIME_KILL_AT=engine.net.$point $R -d --name v6k --network v6a -p 8085:80 hbox:1 \
        sleep 100 >/dev/null 2>&1
    rc=$?
    $H rm -f v6k >/dev/null
    say "killed_$point" "$rc,$(nleases),$(nft list map inet hutch tcp6 | grep -c '8085 : '),\
$(ip -o link | grep -c ' hutch[0-9a-f]\{10\}')"
done
$R -d --name v6k --network v6a hbox:1 sleep 100 >/dev/null
kill -9 "$($H inspect v6k | field State.Pid)"
sleep 1
say after_kill9 "$($H inspect v6k | field NetworkSettings.GlobalIPv6Address)"
$H rm -f v6k v6one v6two v6three >/dev/null
say leases "$(cat $ROOT/networks/leases/*.json | tr -d ' \n')"
say links "$(ip -o link | grep -c ' hutch[0-9a-f]\{10\}')"
say elements6_after "$(nft list map inet hutch tcp6 | grep -c elements)"
for n in v6a v6i v6b front4; do $H network rm $n >/dev/null; done
$H network rm bridge >/dev/null 2>&1
say ruleset "$(nft list ruleset | wc -l)"
kill $SERVER $OUTSIDE
wait $SERVER $OUTSIDE 2>/dev/null
true
"""


def test_ipv6_on_user_networks(tmp_path: Path, rootfs_template: Path) -> None:
    out = _session(tmp_path, rootfs_template, SCRIPT, runroot_prefix="hutch-v6")
    nid = out["id"]
    ula = str(ipaddress.IPv6Address(f"fd{nid[:2]}:{nid[2:6]}:{nid[6:10]}:{nid[10:14]}::"))
    assert out["net"].startswith("True 10.89.") and out["net"].endswith(f",{ula}/64@{ula}1"), out
    assert out["ls"] == "v6a bridge local" and out["bridge_v6"] == "false", out
    assert out["addr"] == f"inet6 {ula}2/64" and out["nodad"] == "1", out
    assert out["route"] == f"default via {ula}1 dev eth0", out
    assert out["hosts"].startswith("10.89.") and out["hosts"].endswith(f";{ula}3;"), out
    assert out["hosts_self"].endswith(f";{ula}2;"), out
    assert out["ping6"] == f"PING v6two ({ula}3): 56 data bytes", out
    assert (out["ping6_ok"], out["ping4"]) == ("1", "1"), out
    ns = json.loads(out["inspect"])
    assert (ns["GlobalIPv6Address"], ns["GlobalIPv6PrefixLen"], ns["IPv6Gateway"]) == \
        (f"{ula}2", 64, f"{ula}1"), ns
    v6a = ns["Networks"]["v6a"]
    assert (v6a["GlobalIPv6Address"], v6a["GlobalIPv6PrefixLen"], v6a["IPv6Gateway"]) == \
        (f"{ula}2", 64, f"{ula}1"), ns
    assert v6a["IPAddress"].startswith("10.89."), ns
    assert out["members"] == f"v6one@{ula}2/64,v6two@{ula}3/64", out
    assert out["bridge_addr"] == f"{ula}1/64" and out["forwarding"] == "1", out
    assert out["out"] == "you are 2001:db8:201::1", out  # masqueraded
    assert out["pub_host"] == "hello" and out["pub_outside"] == "hello" and out["pub_v4"] == "hello", out
    assert out["pub_loopback6"].startswith("ERR") and "refused" in out["pub_loopback6"], out
    assert out["hairpin6"] == "hello" and out["elements6"] == "1", out
    assert out["internal_route"].startswith("default via fd"), out
    assert out["internal_out"] != "0", out
    assert out["net_b"] == "10.77.0.0/24@10.77.0.1,fd00:77::/64@fd00:77::fe", out
    assert out["given"] == "inet6 fd00:77::50/64" and out["given_route"] == "default via fd00:77::fe", out
    assert out["given_next"] == "inet6 fd00:77::1/64", out  # (::fe is the gateway; ::1 is free)
    assert out["connected"] == "inet6 fd00:77::77/64", out
    assert out["connected_ping"] == "PING v6two (fd00:77::77): 56 data bytes", out
    assert out["no_ipv6"].startswith("1 Error: network create: an IPv6 --subnet"), out
    assert "needs --ipv6" in out["no_ipv6"], out
    assert (out["no_ipv6_lines"], out["no_ipv6_left"]) == ("1", "0"), out
    assert out["outside_subnet"] == \
        f"125 Error: --ip6 fd00:dead::5: the address is not in network v6a's subnet {ula}/64", out
    assert out["outside_subnet_lines"] == "1", out
    assert out["not_v6"].startswith("125 ") and "--ip6 'junk'" in out["not_v6"], out
    assert out["no_v6_net"].startswith("125 ") and "has no IPv6" in out["no_v6_net"], out
    assert out["left"] == "0", out
    assert out["two_v6"] == "1 Error: network create: --subnet at most once per family (IPv4, IPv6)", out
    assert out["v4_only"] == "['', 0, ''] ['', 0, '']" and out["v4_only_addr"] == "0", out
    for point in ("planned", "netns", "leased", "joined", "published"):
        # killed; the leases (IPv4 and IPv6) and links of v6one, v6two and v6three only, no port
        assert out[f"killed_{point}"] == "137,6,0,3", (point, out)
    assert out["after_kill9"] == "", out
    assert out["leases"] == "{}" * 4, out  # v6a, v6i, v6b, front4: empty
    assert (out["links"], out["elements6_after"], out["ruleset"]) == ("0", "0", "0"), out
