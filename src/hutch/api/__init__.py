"""hutch from Python: images and containers over the same core as the `hutch` command.

Shaped like docker's Python SDK (docker-py 7), so code written for it runs with
``import hutch as docker`` and only the client's creation changed::

    import hutch as docker

    client = docker.from_env(root="/var/lib/hutch")        # docker.from_env()
    client.images.import_tarball("rootfs.tar", "box:1")
    print(client.containers.run("box:1", ["echo", "hello"], remove=True))   # b'hello\\n'
    c = client.containers.run("box:1", "sleep 60", detach=True, mem_limit="64m", ports={"80/tcp": 8080})
    print(c.exec_run("cat /etc/hostname"))               # ExecResult(exit_code=0, output=b'...')
    c.remove(force=True)

Everything goes through `hutch.engine` — the same records, monitor and OCI runtime as the
CLI — so containers made here show up in `hutch ps`, and the other way round. The errors are
docker-py's (`hutch.errors.NotFound`, `APIError`, `ContainerError`, ...), all `HutchError`s.

One module per docker-py collection: client (Client, from_env), containers, images, volumes,
networks; args (run/create's keyword arguments → CreateRequest.parse's), types (docker.types'
Mount, Ulimit, LogConfig), streams (logs, exec output, stats, archives).
"""

from __future__ import annotations

from hutch.api.client import Client, DockerClient, from_env
from hutch.api.containers import Container, ExecResult
from hutch.engine.registry import ContainerNotFound
from hutch.errors import ContainerError, HutchError

__all__ = ["Client", "Container", "ContainerError", "ContainerNotFound", "DockerClient", "ExecResult",
           "HutchError", "from_env"]
