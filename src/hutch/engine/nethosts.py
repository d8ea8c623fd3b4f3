"""Names that resolve between the containers of a user network: each one's /etc/hosts lists the
others, kept current as they start and end (nerdctl's way, where docker runs a DNS server at
127.0.0.11 inside each container and podman one per network, aardvark-dns).

Why files and not a server: no process of hutch's stays behind for a network (the supervisor
is the only resident one, and goes with the last container), nothing listens on an address of
the container's, and a container's own resolver needs nothing new: every libc and busybox read
/etc/hosts first. Other names go to the nameservers of its resolv.conf, the host's. What docker
users see is the same: on a network of `hutch network create` a container finds the others by
name, by hostname (its short id) and by alias, also those that start later, by their IPv4 and
(on a network of ``--ipv6``) IPv6 addresses; on the default
``bridge`` network names do not resolve (docker's legacy default), only addresses.

A file is rewritten in place (it is bind-mounted: its inode must stay): the new text over the
old, then truncated, all under one lock per store, so two containers starting at once never
lose each other's lines.
"""

from __future__ import annotations

import os

from hutch import filelock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.engine.layout import Layout
    from hutch.engine.records import Record, Records

BASE = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")


def refresh(records: Records, engine_root: str, leaving: str = "") -> None:
    """Rewrite /etc/hosts of every running container on a bridge network: its own line, then
    one per container that shares a user network with it (``leaving``, a container on its way
    out, left out)."""
    with filelock.locked(os.path.join(engine_root, "networks"), "hosts.lock"):
        members = [r for r in records.all() if r.get("networks") and r["id"] != leaving]
        names = {r["id"]: _names(records, r) for r in members}
        for r in members:
            mine = r.get("networks") or {}
            first = next(iter(mine.values()))
            lines = [BASE, *(f"{first[key]}\t{' '.join(names[r['id']])}\n"
                             for key in ("ip", "ip6") if first.get(key))]
            for item in (r.get("network_settings") or {}).get("add_hosts") or []:
                name, _, where = str(item).partition(":")
                lines.append(f"{first.get('gateway', '') if where == 'host-gateway' else where}\t{name}\n")
            for other in members:
                if other["id"] == r["id"]:
                    continue
                for nid, place in (other.get("networks") or {}).items():
                    if nid in mine and place.get("name") != "bridge":
                        lines += [f"{place[key]}\t{' '.join(names[other['id']])}\n"
                                  for key in ("ip", "ip6") if place.get(key)]
            _write(_layout(records, r).etc_file("hosts"), "".join(lines))


def _layout(records: Records, r: Record) -> Layout:
    from hutch.engine.layout import Layout

    return Layout(records.dir, r["id"])


def _names(records: Records, r: Record) -> list[str]:
    """The names a container answers to: its name, its hostname (the short id by default), and
    its --network-alias names."""
    names = [str(r["name"])]
    try:
        with open(_layout(records, r).etc_file("hostname")) as f:
            hostname = f.read().strip()
    except OSError:
        hostname = ""
    if hostname and hostname not in names:
        names.append(hostname)
    for place in (r.get("networks") or {}).values():
        names += [str(a) for a in place.get("aliases") or [] if a not in names]
    return names


def _write(path: str, text: str) -> None:
    try:
        with open(path, "r+") as f:
            f.write(text)
            f.truncate()
    except FileNotFoundError:
        pass  # a mount of the user's is there, or the container is gone
