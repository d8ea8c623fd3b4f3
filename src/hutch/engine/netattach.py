"""A container's place on its bridge network: prepared by `start` before the runtime runs,
released in the one teardown (hutch.engine.teardown) whenever the container ends.

`prepare`, in order, each step written down before it is made so that a kill -9 anywhere
leaves what `release` undoes: the plan in the record (the namespace's file, the host's link
name); the address (hutch.network.ipam, leased to the container's id); the namespace
(hutch.network.netns, a file under the runroot that config.json names, so every runtime joins
it); the bridge and the veth (hutch.network.bridge); the firewall's elements for the network and
the published ports (hutch.network.firewall); /etc/hosts with its address and the names of
the containers it shares a user network with (hutch.engine.nethosts). Ports
asked for without a host port get a free one, as docker picks them; a host port that another
process holds is docker's "port is already allocated" error.

`release` takes what is gone for done: it runs after every end, after a failed start, and at
`rm -f` of a container whose supervisor was killed.
"""

from __future__ import annotations

import os

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.model import Attachment
    from hutch.engine.records import Record, Records


#: set (by the test suite), `prepare` refuses to touch the network namespace of pid 1: a test
#: that forgot to make a namespace of its own fails instead of changing the machine's
SANDBOX_ONLY = "HUTCH_NETWORK_SANDBOX_ONLY"


def _machines_netns() -> str:
    """The network namespace of pid 1 (of kthreadd, pid 2, where pid 1's is not to be read)."""
    for pid in (1, 2):
        try:
            return os.readlink(f"/proc/{pid}/ns/net")
        except OSError:
            continue
    return ""


def netns_path(runroot: str, cid: str) -> str:
    return os.path.join(runroot, "netns", cid)


def prepare(records: Records, record: Record, engine_root: str, runroot: str) -> Record:
    """Join the container to its network (see the module's doc); the record as it is now."""
    from hutch.network import bridge, firewall, netns
    from hutch.network.store import BRIDGE_NAME_OPTION, MTU_OPTION, Networks, subnet_of

    cid = record["id"]
    if os.environ.get(SANDBOX_ONLY) and os.readlink("/proc/self/ns/net") == _machines_netns():
        raise HutchError(f"refusing to make a bridge network in the machine's own network namespace "
                         f"({SANDBOX_ONLY} is set)")
    release(records, record, engine_root)  # what a killed start left
    nets = Networks(engine_root)
    net = nets.get(str(record.get("network", "bridge")))
    link = bridge.host_link_name(cid, net["Id"])
    path = netns_path(runroot, cid)

    def plan(r: Record) -> None:
        r["netns"] = path
        r["networks"] = {net["Id"]: {"name": net["Name"], "link": link, "ifname": "eth0"}}

    record = _update(records, cid, plan)
    subnet, gateway, ip_range = subnet_of(net)
    wanted = record.get("network_settings") or {}
    ip = nets.leases.allocate(net["Id"], subnet, cid, gateway=gateway, ip_range=ip_range,
                              ip=str(wanted.get("ip") or ""),
                              exists=lambda owner: records.load(owner) is not None)
    mac = str(wanted.get("mac") or "") or bridge.mac_for(ip)
    br = bridge.Bridge(net["Options"][BRIDGE_NAME_OPTION], subnet, gateway,
                       int(net["Options"].get(MTU_OPTION, 0)), bool(net.get("Internal")))
    place: Attachment = {"name": net["Name"], "link": link, "ifname": "eth0", "ip": ip,
                         "mac": mac, "gateway": gateway, "prefix": subnet.prefix}
    record = _update(records, cid, lambda r: r.update(networks={net["Id"]: place}))
    netns.create(path)
    bridge.attach(br, path, link, bridge.link_alias(cid, net["Id"]), ip, mac=mac,
                  default_route=not br.internal)
    firewall.ensure_table()
    firewall.add_network(str(subnet), br.internal)
    firewall.enable_forwarding(br.name)
    ports = _ports(record.get("port_bindings") or [], ip)
    if ports:
        published: dict[str, list[dict[str, str]]] = {}
        for p in ports:
            published.setdefault(f"{p.container_port}/{p.proto}", []).append(
                {"HostIp": p.host_ip or "0.0.0.0", "HostPort": str(p.host_port)})
        for p in ports:
            if firewall.taken(p):
                raise HutchError(f"Bind for {p.host_ip or '0.0.0.0'}:{p.host_port} failed: port is already "
                                 "allocated")
        try:
            firewall.publish(ports)
        except firewall.PortTaken:  # (another start took it since we looked)
            raise HutchError("Bind failed: port is already allocated") from None
        record = _update(records, cid, lambda r: r.update(ports=published))
    from hutch.engine import nethosts

    nethosts.refresh(records, engine_root)  # its /etc/hosts, and its name in the others'
    return record


def release(records: Records, record: Record, engine_root: str, *, keep_record: bool = True) -> None:
    """Undo `prepare` by what the record says (all of it idempotent); with ``keep_record``,
    the record forgets it too."""
    if not (record.get("networks") or record.get("netns") or record.get("ports")):
        return
    from hutch.network import bridge, firewall, netns
    from hutch.network.store import Networks

    ports = _published(record)
    if ports:
        firewall.unpublish(ports)
    places = record.get("networks") or {}
    for place in places.values():
        if place.get("link"):
            bridge.detach(str(place["link"]))
    if record.get("netns"):
        netns.remove(str(record["netns"]))
    leases = Networks(engine_root).leases
    for nid in places:
        leases.release(nid, record["id"])
    if keep_record:

        def forget(r: Record) -> None:
            for key in ("netns", "networks", "ports"):
                r.pop(key, None)

        records.update(record["id"], forget)
    if any(p.get("name") != "bridge" for p in places.values()):
        from hutch.engine import nethosts

        nethosts.refresh(records, engine_root, leaving=record["id"])  # its name out of the others' hosts


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


def _published(record: Record) -> list[Any]:
    from hutch.network.firewall import Port

    places = list((record.get("networks") or {}).values())
    ip = str(places[0].get("ip", "")) if places else ""
    out = []
    for private, binds in (record.get("ports") or {}).items():
        port, _, proto = private.partition("/")
        for b in binds:
            host_ip = b.get("HostIp", "")
            out.append(Port("" if host_ip in ("", "0.0.0.0") else host_ip, int(b["HostPort"]), proto, ip,
                            int(port)))
    return [p for p in out if p.container_ip]
