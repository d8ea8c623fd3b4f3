"""Container root filesystems made from image snapshots (containerd's snapshotter role).

The image store (``hutch.image.store``) unpacks each layer once into a snapshot
directory; this package turns a stack of them into a container's root: an overlay
mount with the snapshots as lowers and the container's own writable layer on top
(``overlay``). It knows directories, not containers or images.
"""

from hutch.snapshot.overlay import Overlay

__all__ = ["Overlay"]
