"""What a worker says first: its step file's config, or why the file could not be loaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Hello:
    """What a worker reported about its step file."""

    config: Any
    language: str
    middleware_count: int
    sdk: str
    functions: tuple[str, ...] = ()
    # The project's source files the step file loaded (itself, its helpers); empty: unknown.
    source_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadFailed:
    """The worker could not load its step file; `message` names the file and the cause."""

    code: str
    message: str
    stack: str = ""
