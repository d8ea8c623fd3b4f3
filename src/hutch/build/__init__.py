"""`hutch build`: images from a Dockerfile and a build context, as docker's builder makes them.

    dockerfile.py   the Dockerfile's syntax: instructions, stages, parser directives, heredocs
    words.py        docker's shell-word rules: $VAR expansion, quotes, KEY=VALUE pairs
    context.py      the build context: .dockerignore, COPY/ADD's sources
    copylayer.py    the layer a COPY or ADD makes, and the digest of what it copies
    steps.py        the config instructions (ENV, CMD, LABEL...) on a stage's state
    rootview.py     a read-only view of an image's root, for COPY --from
    layers.py       the layers and step images on the engine's image store
    builder.py      the build: each stage's steps on the engine (RUN in a container, COPY as a
                    layer), the build cache, docker's output
"""
