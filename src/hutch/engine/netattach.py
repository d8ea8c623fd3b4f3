"""A container's place on its bridge networks: prepared by `start` before the runtime runs,
released in the one teardown (hutch.engine.teardown) whenever the container ends.

`prepare` writes each step down in the record before it makes it, so that a kill -9 anywhere
(kill points ``engine.net.*``) leaves only what `release` undoes:

1. the plan: the namespace's file, and per network the host's link name and eth0, eth1...;
2. the namespace (hutch.network.netns, a file under the runroot that config.json names, so
   every runtime joins it);
3. per network (`join`): the address (hutch.network.ipam, leased to the container's id; and an
   IPv6 one on a network with IPv6), the veth (hutch.network.bridge), the firewall's elements
   (hutch.network.firewall);
4. the published ports, to the address on the first network (a port on all the host's addresses
   to its IPv6 address there too, if it has one): a port asked for without a host
   port gets a free one, as docker picks them; a host port another container or process holds
   is docker's "port is already allocated";
5. /etc/hosts: its address, and the names of the containers it shares a user network with
   (hutch.engine.nethosts).

`release` takes what is gone for done: it runs after every end, after a failed start, before
a start (what a killed one left), and at `rm -f` of a container whose supervisor was killed.
`connect` and `disconnect` change the networks of a running container one at a time.
"""

from __future__ import annotations

import os

from hutch import faults
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from hutch.engine.model import Attachment
    from hutch.engine.records import Record, Records


#: set (by the test suite), `prepare` refuses to touch the network namespace of pid 1: a test
#: that forgot to make a namespace of its own fails instead of changing the machine's
SANDBOX_ONLY = "HUTCH_NETWORK_SANDBOX_ONLY"


def machines_netns() -> str:
    """The network namespace of pid 1 (of kthreadd, pid 2, where pid 1's is not to be read)."""
    for pid in (1, 2):
        try:
            return os.readlink(f"/proc/{pid}/ns/net")
        except OSError:
            continue
    return ""


def netns_path(runroot: str, cid: str) -> str:
    return os.path.join(runroot, "netns", cid)


def wanted(record: Record) -> list[tuple[str, dict[str, Any]]]:
    """The networks a container joins at start, first its own (--network), then those of
    `network connect`: (name, settings: aliases, ip, mac)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if record.get("network") not in (None, "", "none", "host"):  # ("": all disconnected)
        out.append((str(record["network"]), dict(record.get("network_settings") or {})))
    out += [(str(c["name"]), dict(c)) for c in record.get("connected") or []]
    return out


def prepare(records: Records, record: Record, engine_root: str, runroot: str) -> Record:
    """Join the container to its networks (see the module's doc); the record as it is now."""
    from hutch.network import bridge, netns
    from hutch.network.store import Networks

    cid = record["id"]
    if os.environ.get(SANDBOX_ONLY) and os.readlink("/proc/self/ns/net") == machines_netns():
        raise HutchError(f"refusing to make a bridge network in the machine's own network namespace "
                         f"({SANDBOX_ONLY} is set)")
    release(records, record, engine_root)  # what a killed start left
    nets = Networks(engine_root)
    joins = [(nets.get(name), settings) for name, settings in wanted(record)]
    path = netns_path(runroot, cid)

    def plan(r: Record) -> None:
        r["netns"] = path
        r["networks"] = {net["Id"]: {"name": net["Name"], "link": bridge.host_link_name(cid, net["Id"]),
                                     "ifname": f"eth{i}"} for i, (net, _s) in enumerate(joins)}

    record = _update(records, cid, plan)
    faults.point("engine.net.planned")
    netns.create(path)
    faults.point("engine.net.netns")
    for i, (net, settings) in enumerate(joins):
        record = join(records, record, engine_root, net, settings, f"eth{i}", first=i == 0)
    if joins:
        first = next(iter((record.get("networks") or {}).values()))
        record = _publish(records, record, first["ip"], str(first.get("ip6") or ""))
        faults.point("engine.net.published")
    from hutch.engine import nethosts

    nethosts.refresh(records, engine_root)  # its /etc/hosts, and its name in the others'
    return record


def join(records: Records, record: Record, engine_root: str, net: dict[str, Any], settings: dict[str, Any],
         ifname: str, first: bool) -> Record:
    """One network: the lease, the veth as ``ifname`` (the default route through the first),
    the firewall's elements; the record says each before it is made."""
    from hutch.network import bridge, firewall
    from hutch.network.store import (
        BRIDGE_NAME_OPTION,
        MTU_OPTION,
        Networks,
        check_addresses,
        subnet6_of,
        subnet_of,
    )

    cid = record["id"]
    link = bridge.host_link_name(cid, net["Id"])

    def planned(r: Record) -> None:
        r.setdefault("networks", {})[net["Id"]] = {"name": net["Name"], "link": link, "ifname": ifname}

    record = _update(records, cid, planned)
    subnet, gateway, ip_range = subnet_of(net)
    v6 = subnet6_of(net)
    want6 = str(settings.get("ip6") or "")
    check_addresses(net, str(settings.get("ip") or ""), want6)
    leases = Networks(engine_root).leases

    def exists(owner: str) -> bool:
        return records.load(owner) is not None

    ip = leases.allocate(net["Id"], subnet, cid, gateway=gateway, ip_range=ip_range,
                         ip=str(settings.get("ip") or ""), exists=exists, name=net["Name"])
    ip6 = ""
    if v6 is not None:  # (the same file, the same lock, the same release: the teardown's)
        ip6 = leases.allocate(net["Id"], v6[0], cid, gateway=v6[1], ip_range=v6[2], ip=want6, exists=exists,
                              name=net["Name"])
    mac = str(settings.get("mac") or "") or bridge.mac_for(ip)
    br = bridge.Bridge(net["Options"][BRIDGE_NAME_OPTION], subnet, gateway,
                       int(net["Options"].get(MTU_OPTION, 0)), bool(net.get("Internal")),
                       subnet6=v6[0] if v6 else None, gateway6=v6[1] if v6 else "")
    place: Attachment = {"name": net["Name"], "link": link, "ifname": ifname, "ip": ip, "mac": mac,
                         "gateway": gateway, "prefix": subnet.prefix,
                         "aliases": [str(a) for a in settings.get("aliases") or []]}
    if v6 is not None:
        place["ip6"], place["gateway6"], place["prefix6"] = ip6, v6[1], v6[0].prefix
    record = _update(records, cid, lambda r: r.setdefault("networks", {}).update({net["Id"]: place}))
    faults.point("engine.net.leased")
    bridge.attach(br, str(record["netns"]), link, bridge.link_alias(cid, net["Id"]), ip, ifname=ifname,
                  mac=mac, default_route=first and not br.internal, ip6=ip6)
    firewall.add_network(str(subnet), br.internal)  # (and the table, the first time)
    if v6 is not None:
        firewall.add_network(str(v6[0]), br.internal)
    firewall.enable_forwarding(br.name, ipv6=v6 is not None)
    faults.point("engine.net.joined")
    return record


def connect(records: Records, record: Record, engine_root: str, ref: str, aliases: list[str],
            ip: str = "", ip6: str = "") -> None:
    """`network connect`: the container joins network ``ref`` at its next start, and now if it
    runs (as eth1, eth2...), in its supervisor's namespaces (hutch.engine.supervise.home)."""
    from hutch.engine.supervise import home

    home.call(_supervisor_of(record), _connect, records, record, engine_root, ref, aliases, ip, ip6)


def _supervisor_of(record: Record) -> int:
    from hutch.engine.records import alive

    st = record["state"]
    pid = int(st.get("monitor_pid") or 0)
    return pid if alive(pid, st.get("monitor_start", 0)) else 0


def _connect(records: Records, record: Record, engine_root: str, ref: str, aliases: list[str],
             ip: str, ip6: str) -> None:
    from hutch.engine import model, nethosts
    from hutch.network.store import Networks, check_addresses, check_name

    net = Networks(engine_root).get(ref)
    check_addresses(net, ip, ip6)
    mode = record.get("network")
    if mode in ("none", "host", None):
        raise HutchError(f"container {record['name']} cannot be connected to network {net['Name']}: it has "
                         f"the {mode or 'none'} network")
    if net["Name"] in [mode, *(str(c["name"]) for c in record.get("connected") or [])]:
        raise HutchError(f"endpoint with name {record['name']} already exists in network {net['Name']}")
    for alias in aliases:
        check_name(alias)
    entry = {"name": net["Name"], "aliases": list(aliases), "ip": ip, "ip6": ip6}
    record = _update(records, record["id"], lambda r: r.setdefault("connected", []).append(entry))
    _event(engine_root, "connect", net, record)
    if record["state"]["status"] in model.LIVE and record.get("netns"):
        n = len(record.get("networks") or {})
        try:
            record = join(records, record, engine_root, net, entry, f"eth{n}", first=n == 0)
        except BaseException:
            leave(records, records.load(record["id"]) or record, engine_root, net["Id"])
            _forget_connected(records, record["id"], net["Name"])
            raise
        nethosts.refresh(records, engine_root)


def disconnect(records: Records, record: Record, engine_root: str, ref: str) -> None:
    """`network disconnect`: the container leaves network ``ref``, now if it runs, and for good
    (in its supervisor's namespaces, as `connect`)."""
    from hutch.engine.supervise import home

    home.call(_supervisor_of(record), _disconnect, records, record, engine_root, ref)


def _disconnect(records: Records, record: Record, engine_root: str, ref: str) -> None:
    from hutch.engine import nethosts
    from hutch.network import firewall
    from hutch.network.store import Networks

    net = Networks(engine_root).get(ref)
    connected = [str(c["name"]) for c in record.get("connected") or []]
    if net["Name"] == record.get("network"):
        ports = _published(record)
        if ports:
            firewall.unpublish(ports)
        record = _update(records, record["id"], lambda r: (r.update(network=""), r.pop("ports", None)))
    elif net["Name"] in connected:
        record = _forget_connected(records, record["id"], net["Name"])
    else:
        raise HutchError(f"container {record['name']} is not connected to network {net['Name']}")
    if net["Id"] in (record.get("networks") or {}):
        leave(records, record, engine_root, net["Id"])
        nethosts.refresh(records, engine_root)
    _event(engine_root, "disconnect", net, record)


def network_users(records: Iterable[Record]) -> dict[str, list[str]]:
    """network id -> the names of the containers on it."""
    out: dict[str, list[str]] = {}
    for r in records:
        for nid in r.get("networks") or {}:
            out.setdefault(str(nid), []).append(str(r["name"]))
    return out


def remove_network(engine_root: str, runroot: str, records: Iterable[Record], ref: str) -> dict[str, Any]:
    """`network rm`: network ``ref`` if no container is on it, its bridge and firewall elements
    where the store's supervisor is (hutch.engine.supervise.home); the network's document."""
    from hutch.engine.supervise import home
    from hutch.network.store import Networks

    on = network_users(records)
    net: dict[str, Any] = home.call(home.supervisor(runroot), Networks(engine_root).remove, ref,
                                    lambda nid: on.get(nid, []))
    return net


def _event(engine_root: str, action: str, net: dict[str, Any], record: Record) -> None:
    from hutch.engine import events

    events.network(engine_root, action, net, record["id"])


def _forget_connected(records: Records, cid: str, name: str) -> Record:
    return _update(records, cid, lambda r: r.update(connected=[
        c for c in r.get("connected") or [] if c["name"] != name]))


def has_network(record: Record) -> bool:
    """Whether the record says the container holds a place on a network (`release` has work)."""
    return bool(record.get("networks") or record.get("netns") or record.get("ports"))


def _publish(records: Records, record: Record, ip: str, ip6: str = "") -> Record:
    """-p's (and -P's) ports to ``ip``, the address on its first network (and those on all the
    host's addresses to ``ip6`` too, its IPv6 address there, if it has one)."""
    from hutch.network import firewall

    ports = _ports(record.get("port_bindings") or [], ip)
    if not ports:
        return record
    published: dict[str, list[dict[str, str]]] = {}
    for p in ports:
        published.setdefault(f"{p.container_port}/{p.proto}", []).append(
            {"HostIp": p.host_ip or "0.0.0.0", "HostPort": str(p.host_port)})
    for p in ports:
        if firewall.taken(p):
            raise HutchError(f"Bind for {p.host_ip or '0.0.0.0'}:{p.host_port} failed: port is already "
                             "allocated")
    record = _update(records, record["id"], lambda r: r.update(ports=published))  # (said first)
    try:
        firewall.publish([*ports, *_v6(ports, ip6)])
    except firewall.PortTaken:  # (another start took it since we looked)
        raise HutchError("Bind failed: port is already allocated") from None
    return record


def leave(records: Records, record: Record, engine_root: str, network_id: str) -> Record:
    """One network of a running container (`network disconnect`): its veth, its lease."""
    from hutch.network.store import Networks

    place = (record.get("networks") or {}).get(network_id)
    if place is None:
        return record
    _undo(place, network_id, record["id"], Networks(engine_root))
    return _update(records, record["id"], lambda r: (r.get("networks") or {}).pop(network_id, None))


def release(records: Records, record: Record, engine_root: str, *, keep_record: bool = True) -> None:
    """Undo `prepare` by what the record says (all of it idempotent); with ``keep_record``,
    the record forgets it too."""
    if not has_network(record):
        return
    from hutch.network import firewall, netns
    from hutch.network.store import Networks

    ports = _published(record)
    if ports:
        firewall.unpublish(ports)
    places = record.get("networks") or {}
    nets = Networks(engine_root)
    for nid, place in places.items():
        _undo(place, nid, record["id"], nets)
    if record.get("netns"):
        netns.remove(str(record["netns"]))
    if keep_record:

        def forget(r: Record) -> None:
            for key in ("netns", "networks", "ports"):
                r.pop(key, None)

        records.update(record["id"], forget)
    if any(p.get("name") != "bridge" for p in places.values()):
        from hutch.engine import nethosts

        nethosts.refresh(records, engine_root, leaving=record["id"])  # its name out of the others' hosts


def _undo(place: Attachment, network_id: str, cid: str, nets: Any) -> None:
    """One network's veth and lease go (what is gone already is no error)."""
    from hutch.network import bridge

    if place.get("link"):
        bridge.detach(str(place["link"]))
    nets.leases.release(network_id, cid)


def _update(records: Records, cid: str, change: Any) -> Record:
    got = records.update(cid, change)
    if got is None:
        raise HutchError(f"container {cid[:12]} was removed while it started")
    return got


def _ports(bindings: list[dict[str, str]], ip: str) -> list[Any]:
    """The -p bindings as firewall ports to ``ip``; a host port of 0 becomes a free one, and a
    host port another process holds is docker's error."""
    from hutch.network.firewall import Port

    out = []
    for b in bindings:
        port, _, proto = b["ContainerPort"].partition("/")
        host_ip = b.get("HostIp") or ""
        host_port = int(b.get("HostPort") or 0)
        host_port = _check_free(host_ip, host_port, proto or "tcp")
        out.append(Port("" if host_ip in ("", "0.0.0.0") else host_ip, host_port, proto or "tcp", ip,
                        int(port)))
    return out


def _check_free(host_ip: str, port: int, proto: str) -> int:
    """``port`` (or, for 0, a free one the kernel picks), after a bind that shows no process of
    the host holds it."""
    import _socket

    kind = _socket.SOCK_DGRAM if proto == "udp" else _socket.SOCK_STREAM
    s = _socket.socket(_socket.AF_INET, kind)
    try:
        s.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        try:
            s.bind((host_ip or "0.0.0.0", port))
        except OSError as err:
            raise HutchError(f"Bind for {host_ip or '0.0.0.0'}:{port} failed: port is already allocated"
                             f" ({err.strerror})") from None
        return int(s.getsockname()[1])
    finally:
        s.close()


def _v6(ports: list[Any], ip6: str) -> list[Any]:
    """The ports published on all the host's addresses, to ``ip6`` ("": none)."""
    from hutch.network.firewall import Port

    if not ip6:
        return []
    return [Port("", p.host_port, p.proto, ip6, p.container_port) for p in ports if not p.host_ip]


def _published(record: Record) -> list[Any]:
    from hutch.network.firewall import Port

    places = list((record.get("networks") or {}).values())
    ip = str(places[0].get("ip", "")) if places else ""
    ip6 = str(places[0].get("ip6", "")) if places else ""
    out = []
    for private, binds in (record.get("ports") or {}).items():
        port, _, proto = private.partition("/")
        for b in binds:
            host_ip = b.get("HostIp", "")
            out.append(Port("" if host_ip in ("", "0.0.0.0") else host_ip, int(b["HostPort"]), proto, ip,
                            int(port)))
    mine = [p for p in out if p.container_ip]
    return [*mine, *_v6(mine, ip6)]
