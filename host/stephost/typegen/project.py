"""What both generators read off a loaded project: handler steps, topics, path params.

A topic's data type comes from its subscribers: the host checks emitted data against
every subscriber's `input` schema, so the data must satisfy all of them (their
intersection). A topic nobody subscribes to, or whose subscribers declare no
`input`, accepts any JSON value: its type is `unknown` / `Any`, never `never`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stephost.config import StepDefinition
from stephost.registry import Registry
from stephost.streams.service import StreamDefinition

HANDLER_TYPES = ("api", "event", "cron")
_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)(\?)?")


@dataclass(frozen=True)
class Topic:
    name: str
    # (subscribing step, its input schema), one per distinct schema, in step-name order
    schemas: tuple[tuple[str, Any], ...]
    subscribers: tuple[str, ...]


@dataclass(frozen=True)
class PathParam:
    name: str
    optional: bool


@dataclass(frozen=True)
class ProjectTypes:
    """The parts of a project that have types, sorted so the output is stable."""

    steps: tuple[StepDefinition, ...]  # api, event and cron steps (noop steps have no handler)
    topics: dict[str, Topic]
    streams: tuple[StreamDefinition, ...]

    @classmethod
    def of(cls, registry: Registry, streams: Mapping[str, StreamDefinition]) -> ProjectTypes:
        steps = tuple(sorted((s for s in registry.steps.values() if s.type in HANDLER_TYPES), key=lambda s: s.name))
        names: set[str] = set()
        for step in registry.steps.values():
            names.update(emit_topics(step))
            names.update(step.subscribes)
        topics: dict[str, Topic] = {}
        for name in sorted(names):
            subscribers = sorted(registry.subscribers_of(name), key=lambda s: s.name)
            distinct: dict[str, tuple[str, Any]] = {}
            for sub in subscribers:
                if sub.input_schema is not None:
                    distinct.setdefault(_canonical(sub.input_schema), (sub.name, sub.input_schema))
            topics[name] = Topic(name, tuple(distinct.values()), tuple(s.name for s in subscribers))
        return cls(steps, topics, tuple(streams[n] for n in sorted(streams)))


def emit_topics(step: StepDefinition) -> list[str]:
    """The topics `step` may emit, in config order, each once (virtualEmits are never emitted)."""
    return list(dict.fromkeys(e.topic for e in step.emits))


def path_params(path: str) -> tuple[list[PathParam], bool]:
    """The `:name` / `:name?` params of an Express-style path, and whether it has a `*`."""
    return [PathParam(m.group(1), bool(m.group(2))) for m in _PARAM.finditer(path)], "*" in path


def describe(step: StepDefinition) -> str:
    """`api POST /orders (steps/orders/create.step.ts)`: a one-line doc comment for a step's types."""
    what = {"api": f"api {step.method} {step.path}", "cron": f"cron {step.cron!r}"}.get(step.type)
    if what is None:
        what = f"event on {', '.join(step.subscribes)}"
    return f"{what} ({step.file})"


def _canonical(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))
