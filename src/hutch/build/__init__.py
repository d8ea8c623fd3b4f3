"""`hutch build`: images from a Dockerfile and a build context, as docker's builder makes them.

    dockerfile.py   the Dockerfile's syntax: instructions, stages, parser directives, heredocs
    words.py        docker's shell-word rules: $VAR expansion, quotes, KEY=VALUE pairs
    context.py      the build context: .dockerignore, COPY/ADD sources, the layer a COPY makes
    builder.py      the build: each stage's steps on the engine (RUN in a container, COPY as a
                    layer), the build cache, docker's output
"""
