"""`hutch commit`: a new image from a container's changes."""

from __future__ import annotations

from hutch.cli.pflag import Namespace, Parser

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-m", "--message", default="", help="Commit message")
    p.add_argument("-a", "--author", default="",
                   help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    p.add_argument("-c", "--change", action="append", default=[], help="a Dockerfile instruction")
    p.add_argument("-p", "--pause", action="store_true", default=True,
                   help="pause a running container during the commit (default true)")
    p.add_argument("container")
    p.add_argument("repo", nargs="?", help="REPOSITORY[:TAG]")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import commit

    image = commit.commit(eng, a.container, a.repo, message=a.message, author=a.author, changes=a.change,
                          pause_it=a.pause)
    from hutch.engine import events

    record = eng.find(a.container)
    events.container(eng.root, "commit", record, comment=a.message, imageID=image.id, imageRef=a.repo or "")
    print(image.id)
    return 0
