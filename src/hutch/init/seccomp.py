"""Install the container's seccomp filter, compiled by the runtime (hutch.seccomp.compile).

Where in the init: as late as possible, so that the fewest of hutch's own syscalls run
under the container's profile. With no_new_privs that is right before READY (after
the capabilities are final); without it, installing a filter needs CAP_SYS_ADMIN, so it
happens before the capabilities are dropped (runc's order, for the same reason).

With SCMP_ACT_NOTIFY the kernel hands back a listener fd; it goes to the runtime on the
sync channel, which passes it on to the agent at listenerPath, and the init waits for
that before it goes on (a notifying syscall before the agent has the fd would hang).
"""

from __future__ import annotations

import os

from hutch._sys import seccomp as K
from hutch.process import sync

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.seccomp.compile import SeccompPlan


def install(sp: SeccompPlan, sock: int) -> None:
    program = bytes.fromhex(sp["program"])
    listener = K.set_mode_filter(program, sp["flags"])
    if sp["flags"] & K.FLAG_NEW_LISTENER:
        try:
            sync.send_with_fds(sock, sync.SECCOMP, [listener])
        finally:
            os.close(listener)
        sync.expect(sock, sync.SECCOMP_DONE)
