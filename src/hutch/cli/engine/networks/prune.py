"""`hutch network prune`: remove every network no container is on (not the predefined ones;
--filter until=, label=, label!=)."""

from __future__ import annotations

import sys

from hutch.cli.engine.system.prune import _filter, confirm, wanted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true", help="do not prompt for confirmation")
    p.add_argument("--filter", action="append", type=_filter, metavar="filter", help="until, label, label!")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import events
    from hutch.engine.netattach import network_users, remove_network
    from hutch.network.store import PREDEFINED, Networks

    keep = wanted(a, ("until", "label", "label!"))
    if not confirm(a, "all custom networks not used by at least one container"):
        return 0
    records = eng.records()
    store, on = Networks(eng.root), network_users(records)
    gone = []
    for net in store.all():
        if net["Name"] not in PREDEFINED and not on.get(net["Id"]) and \
                (keep is None or keep(net.get("Labels") or {}, str(net.get("Created", "")))):
            remove_network(eng.root, eng.runroot, records, net["Id"])
            events.network(eng.root, "destroy", net)
            gone.append(net["Name"])
    if gone:
        sys.stdout.write("Deleted Networks:\n" + "".join(n + "\n" for n in gone))
    return 0
