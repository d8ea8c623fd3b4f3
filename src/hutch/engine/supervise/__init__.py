"""The engine's supervisor: one resident process per store (``--root``), started on demand
by the first `hutch` command that needs it, gone a while after its last container.

    hutch CLI / Python API ──unix socket──▶ supervisor (single-threaded poll loop)
                                              └─ container inits, exec'd processes (forked here)

protocol (its socket and requests), session (one container: stdio, attach, end), execs
(one exec'd process), server (the loop), connect (the client side: find or start it).
"""
