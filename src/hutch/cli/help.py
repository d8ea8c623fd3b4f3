"""hutch-runtime's help texts, in the shapes of runc's (urfave/cli v1's templates).

Tools and runc's own tests read runc's help by its layout: ``NAME:`` then
``   <prog> <command> - <what it does>``, ``USAGE:``, ``DESCRIPTION:``, ``OPTIONS:``,
flags as ``--name value, -n value`` with a tab-aligned usage and ``(default: ...)``.
The layout here is runc's; the words are hutch's. ``prog`` is the name the program
was run by (:func:`hutch.cli.main.prog_name`), so a copy installed as ``runc`` says
``runc``. Imported only when help is asked for.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.args import Flag

USAGE = "Open Container Initiative runtime"

ABOUT = """\
{prog} runs containers from OCI bundles: a directory with a "config.json" (the
runtime specification) and the root filesystem it names. It is a compliant
implementation of the Open Container Initiative runtime specification, with
runc's command line, so tools made for runc (containerd, podman, docker) can
use it.

A container's processes are children of {prog}'s caller (or of {prog} itself
in the foreground), so the usual process supervisors can watch them.

To create and start a container from the bundle in the current directory:

    # {prog} run [ -b bundle ] <container-id>

"<container-id>" names the instance, and must be unique under --root."""

_ID_NEW = """\
<container-id>

"<container-id>" is the name of the new container: unique under the
global "--root"."""

_ID = """\
<container-id>

"<container-id>" is the name of the container."""

# name: (one line, arguments and notes, description)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "checkpoint": ("checkpoint a running container", _ID,
                   "Saving a container's state is not supported by {prog} yet."),
    "create": ("create a container", _ID_NEW, """\
The create command makes a container from a bundle (a directory with a
"config.json" and a root filesystem) and leaves it "created": its process
set up and waiting. "{prog} start" then runs the program in process.args."""),
    "delete": ("delete any resources held by the container often used with detached container", """\
<container-id>

"<container-id>" is the name of the container.

EXAMPLE:
To remove "box1" once "{prog} list" shows it as "stopped":

       # {prog} delete box1""", ""),
    "events": ("display container events such as OOM notifications, cpu, memory, and IO usage statistics",
               _ID, """\
The events command prints the container's resource usage statistics every
interval, and an event whenever the kernel kills a process of the
container for lack of memory."""),
    "exec": ("execute new process inside the container", """\
<container-id> <command> [command options]  || -p process.json <container-id>

"<container-id>" is the name of the container and "<command>" the program
to run in it, with its arguments. "<command>" may be left out only with "-p".

EXAMPLE:
To list the processes of container "box1":

       # {prog} exec box1 ps""", ""),
    "kill": ("kill sends the specified signal (default: SIGTERM) to the container's init process", """\
<container-id> [signal]

"<container-id>" is the name of the container and "[signal]" a signal
name or number, for the container's init process.

EXAMPLE:
To send KILL to the init of "box1":

       # {prog} kill box1 KILL""", ""),
    "list": ("lists containers started by {prog} with the given root", """\


The containers listed are those in the state directory of the global
option "--root" (default: "/run/hutch").

EXAMPLE:
       # {prog} list
       # {prog} --root /run/other list""", ""),
    "pause": ("pause suspends all processes inside the container", _ID, """\
The pause command freezes every process of the container.

"{prog} list" shows containers and their status."""),
    "ps": ("ps displays the processes running inside a container", "<container-id> [ps options]", ""),
    "restore": ("restore a container from a previous checkpoint", _ID,
                "Restoring a checkpoint is not supported by {prog} yet."),
    "resume": ("resumes all processes that have been previously paused", _ID, """\
The resume command thaws every process of a paused container.

"{prog} list" shows containers and their status."""),
    "run": ("create and run a container", _ID_NEW, """\
The run command creates a container from a bundle (a directory with a
"config.json" and a root filesystem) and starts the program in its
process.args. In the foreground it waits for that program and exits with
its status."""),
    "spec": ("create a new specification file", "", """\
The spec command writes a starter "config.json" into the bundle directory.
Edit it before use: its process.args runs "sh", and its root.path is
"rootfs"."""),
    "start": ("executes the user defined process in a created container", _ID,
              "The start command runs the program of a created container."),
    "state": ("output the state of a container", _ID,
              "The state command prints the container's state as JSON."),
    "update": ("update container resource constraints", "<container-id>", ""),
    "features": ("show the enabled features", "", """\
Show the enabled features, as JSON (the runtime-spec's features.json).
"""),
}

HELP_COMMAND = ("help, h", "Shows a list of commands or help for one command")

# flag: usage, by "command flag" where commands differ, else by "flag".
FLAGS: dict[str, str] = {
    "debug": "enable debug logging",
    "log": "set the log file to write {prog} logs to (default is '/dev/stderr')",
    "log-format": "set the log format ('text' (default), or 'json')",
    "root": "root directory for storage of container state (this should be located in tmpfs)",
    "criu": "path to the criu binary used for checkpoint and restore (not supported)",
    "systemd-cgroup": "enable systemd cgroup support (not supported yet)",
    "rootless": "ignore cgroup permission errors ('true', 'false', or 'auto')",
    "help": "show help",
    "version": "print the version",
    "bundle": "path to the root of the bundle directory, defaults to the current directory",
    "spec bundle": "path to the root of the bundle directory",
    "pid-file": "specify the file to write the process id to",
    "console-socket": "path to an AF_UNIX socket which will receive a file descriptor referencing the master "
                      "end of the console's pseudoterminal",
    "pidfd-socket": "path to an AF_UNIX socket which will receive a pidfd of the container's process",
    "no-pivot": "do not use pivot root to jail process inside rootfs.  This should be used whenever the "
                "rootfs is on top of a ramdisk",
    "no-new-keyring": "do not create a new session keyring for the container.  This will cause the "
                      "container to inherit the calling processes session key",
    "preserve-fds": "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)",
    "detach": "detach from the container's process",
    "keep": "do not delete the container after it exits",
    "all": "send the specified signal to all processes inside the container",
    "force": "Forcibly deletes the container if it is still running (uses SIGKILL)",
    "format": "select one of: table or json",
    "quiet": "display only container IDs",
    "process": "path to the process.json",
    "tty": "allocate a pseudo-TTY",
    "cwd": "current working directory in the container",
    "env": "set environment variables",
    "user": "UID (format: <uid>[:<gid>])",
    "additional-gids": "additional gids",
    "cap": "add a capability to the bounding set for the process",
    "no-new-privs": "set the no new privileges value for the process",
    "process-label": "set the asm process label for the process commonly used with selinux",
    "apparmor": "set the apparmor profile for the process",
    "ignore-paused": "allow exec in a paused container",
    "cgroup": "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
    "spec rootless": "generate a configuration for a rootless container",
    "stats": "display the container's stats then exit",
    "interval": "set the stats collection interval",
    "resources": """\
path to the file containing the resources to update or '-' to read from the standard input

The format is the runtime-spec's linux.resources (what containerd sends);
values left out are unchanged, for example:

{
  "memory": {"limit": 0, "reservation": 0, "swap": 0},
  "cpu": {"shares": 0, "quota": 0, "period": 0, "cpus": "", "mems": ""},
  "pids": {"limit": 0}
}

With --resources, all other options are ignored.""",
    "blkio-weight": "Specifies per cgroup weight, range is from 10 to 1000",
    "cpu-period": "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default",
    "cpu-quota": "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period",
    "cpu-share": "CPU shares (relative weight vs. other containers)",
    "cpu-rt-period": "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
    "cpu-rt-runtime": "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period",
    "cpuset-cpus": "CPU(s) to use",
    "cpuset-mems": "Memory node(s) to use",
    "kernel-memory": "Kernel memory limit (in bytes)",
    "kernel-memory-tcp": "Kernel memory limit for tcp buffer (in bytes)",
    "memory": "Memory limit (in bytes)",
    "memory-reservation": "Memory reservation or soft_limit (in bytes)",
    "memory-swap": "Total memory usage (memory + swap); set '-1' to enable unlimited swap",
    "pids-limit": "Maximum number of pids allowed in the container",
    "l3-cache-schema": "The string of Intel RDT/CAT L3 cache schema",
    "mem-bw-schema": "The string of Intel RDT/MBA memory bandwidth schema",
}

#: Flags whose values are numbers or durations: urfave shows their defaults unquoted.
_UNQUOTED = frozenset({"preserve-fds", "interval"})


def flag_line(command: str, flag: Flag, prog: str) -> str:
    """``--name value, -n value<TAB>usage (default: ...)``, as urfave/cli prints a flag."""
    value = " value" if flag.takes_value else ""
    names = ", ".join(("--" if len(n) > 1 else "-") + n + value for n in flag.names)
    name = flag.names[0]
    usage = _named(FLAGS.get(f"{command} {name}", FLAGS.get(name, "")), prog)
    default = flag.default
    if flag.takes_value and not flag.multi and default not in ("", None):
        usage += f" (default: {default})" if name in _UNQUOTED else f' (default: "{default}")'
    return f"{names}\t{usage}"


def app_help(prog: str, commands: list[str], flags: list[Flag], version: str) -> str:
    lines = [f"{name}\t{_named(COMMANDS[name][0], prog)}" for name in COMMANDS if name in commands]
    lines.append("\t".join(HELP_COMMAND))
    text = (
        f"NAME:\n   {prog} - {USAGE}\n\n{_named(ABOUT, prog)}\n\n"
        f"USAGE:\n   {prog} [global options] command [command options] [arguments...]\n\n"
        f"VERSION:\n   {version.rstrip()}\n\n"
        "COMMANDS:\n" + "".join(f"   {line}\n" for line in lines) + "\n"
        "GLOBAL OPTIONS:\n" + "".join(f"   {flag_line('', f, prog)}\n" for f in flags)
    )
    return align(text)


def command_help(prog: str, name: str, flags: list[Flag]) -> str:
    usage, args, description = (_named(part, prog) for part in COMMANDS[name])
    options = " [command options]" if flags else ""
    args = args or "[arguments...]"
    text = f"NAME:\n   {prog} {name} - {usage}\n\nUSAGE:\n   {prog} {name}{options} {args}"
    if description:
        text += f"\n\nDESCRIPTION:\n   {description}"
    if flags:
        text += "\n\nOPTIONS:\n   " + "".join(f"{flag_line(name, f, prog)}\n   " for f in flags)
    return align(text + "\n")


def _named(text: str, prog: str) -> str:
    """``text`` with the program's name for ``{prog}`` (not str.format: texts hold JSON)."""
    return text.replace("{prog}", prog)


def align(text: str) -> str:
    """Go's text/tabwriter as urfave/cli sets it up (padding 2, spaces): in each run of
    consecutive lines that contain a tab, the text before the tab is padded to the
    widest of the run plus two."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if "\t" not in lines[i]:
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and "\t" in lines[j]:
            j += 1
        cells = [line.split("\t", 1) for line in lines[i:j]]
        width = max(len(c[0]) for c in cells) + 2
        out.extend(c[0].ljust(width) + c[1] for c in cells)
        i = j
    return "\n".join(out)
