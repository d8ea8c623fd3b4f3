"""`hutch volume create|ls|rm|inspect|prune`: docker's volume verbs (hutch.engine.volumes).

`cli/engine.py` merges ``add_parsers`` and ``COMMANDS`` into its own.
"""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.containers import Engine


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    vol = sub.add_parser("volume", help="volume commands: create, ls, rm, inspect, prune")
    vsub = vol.add_subparsers(dest="volume_command", metavar="COMMAND", parser_class=type(vol))
    create = vsub.add_parser("create", help="make a volume")
    create.add_argument("name", nargs="?", default="")
    create.add_argument("-l", "--label", action="append", default=[], help="KEY=VAL")
    create.add_argument("-d", "--driver", default="local")
    ls = vsub.add_parser("ls", aliases=["list"], help="list volumes")
    ls.add_argument("-q", "--quiet", action="store_true")
    rm = vsub.add_parser("rm", aliases=["remove"], help="remove volumes")
    rm.add_argument("-f", "--force", action="store_true", help="no error for a missing volume")
    rm.add_argument("names", nargs="+")
    insp = vsub.add_parser("inspect", help="volumes as JSON")
    insp.add_argument("names", nargs="+")
    prune = vsub.add_parser("prune", help="remove unused anonymous volumes (all unused with -a)")
    prune.add_argument("-a", "--all", action="store_true")
    prune.add_argument("-f", "--force", action="store_true", help="(there is no prompt)")


def _in_use(eng: Engine) -> set[str]:
    return {str(v["Name"]) for r in eng.records() for v in r.get("volumes") or []}


def _volume(eng: Engine, a: argparse.Namespace) -> int:
    import json

    from hutch.engine.volumes import VolumeStore

    store = VolumeStore(eng.root)
    cmd = a.volume_command
    if cmd == "create":
        if a.driver != "local":
            raise HutchError(f"volume create: driver {a.driver!r} is not supported (only local)")
        labels = dict(item.partition("=")[::2] for item in a.label)
        if a.name:
            from hutch.engine.mounts import check_volume_name

            check_volume_name(a.name)
        doc, _ = store.create(a.name, labels)
        print(doc["Name"])
        return 0
    if cmd in ("ls", "list"):
        vols = store.all()
        if a.quiet:
            sys.stdout.write("".join(v["Name"] + "\n" for v in vols))
        else:
            width = max([len("VOLUME NAME"), *(len(v["Name"]) for v in vols)])
            sys.stdout.write("DRIVER    VOLUME NAME\n")
            sys.stdout.write("".join(f"{v['Driver']:<9} {v['Name']:<{width}}".rstrip() + "\n" for v in vols))
        return 0
    if cmd in ("rm", "remove"):
        code, used = 0, _in_use(eng)
        for name in a.names:
            try:
                store.remove(name, used)
                print(name)
            except HutchError as err:
                if a.force and "No such volume" in str(err):
                    continue
                sys.stderr.write(f"Error: {err}\n")
                code = 1
        return code
    if cmd == "inspect":
        docs, code = [], 0
        for name in a.names:
            try:
                docs.append(store.get(name))
            except HutchError as err:
                sys.stderr.write(f"Error: {err}\n")
                code = 1
        sys.stdout.write(json.dumps(docs, indent=4) + "\n")
        return code
    if cmd == "prune":
        gone = store.prune(_in_use(eng), a.all)
        if gone:
            sys.stdout.write("Deleted Volumes:\n" + "".join(n + "\n" for n in gone))
        print(f"Total reclaimed volumes: {len(gone)}")
        return 0
    raise HutchError("volume: use `hutch volume create|ls|rm|inspect|prune`")


COMMANDS: dict[str, Callable[[Engine, argparse.Namespace], int]] = {"volume": _volume}
