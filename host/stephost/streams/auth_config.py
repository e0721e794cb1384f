"""The project's motia.config file: its `streamAuth.authenticate` guards the stream WebSocket."""

from __future__ import annotations

from pathlib import Path

from stephost.workers.hello import Hello

AUTH_FILES = ("motia.config.ts", "motia.config.js", "motia.config.mjs", "motia.config.cjs")


def auth_file_of(project: Path) -> Path | None:
    """The project's motia.config file, if it has one (the first of AUTH_FILES that exists)."""
    return next((project / n for n in AUTH_FILES if (project / n).is_file()), None)


def has_stream_auth(hello: Hello) -> bool:
    """Whether the loaded motia.config exports a streamAuth.authenticate to run."""
    return "authenticate" in hello.functions
