"""`hutch volume create`: make a named (or anonymous) local volume."""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("name", nargs="?", default="")
    p.add_argument("-l", "--label", action="append", default=[], help="KEY=VAL")
    p.add_argument("-d", "--driver", default="local", help="Specify volume driver name")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.volumes import VolumeStore

    store = VolumeStore(eng.root)
    if a.driver != "local":
        raise HutchError(f"volume create: driver {a.driver!r} is not supported (only local)")
    labels = dict(item.partition("=")[::2] for item in a.label)
    if a.name:
        from hutch.engine.mounts import check_volume_name

        check_volume_name(a.name)
    doc, _ = store.create(a.name, labels)
    print(doc["Name"])
    return 0
