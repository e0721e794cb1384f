"""The flow diagram's data: steps as nodes, topics linking an emitter to its subscribers as edges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stephost.config import Emit, StepDefinition

ALL_FLOWS = "all"


def step_node(step: StepDefinition) -> dict[str, Any]:
    """Everything the page shows about a step (and what the endpoint tester builds its form from)."""

    def emits(items: tuple[Emit, ...]) -> list[dict[str, Any]]:
        return [{"topic": e.topic, "label": e.label, "conditional": e.conditional} for e in items]

    return {
        "name": step.name,
        "type": step.type,
        "language": step.language,
        "file": step.file,
        "description": step.description,
        "flows": list(step.flows),
        "path": step.path,
        "method": step.method,
        "cron": step.cron,
        "emits": emits(step.emits),
        "virtualEmits": emits(step.virtual_emits),
        "subscribes": list(step.subscribes),
        "virtualSubscribes": list(step.virtual_subscribes),
        "bodySchema": step.body_schema,
        "queryParams": list(step.query_params),
    }


def topic_edges(steps: Iterable[StepDefinition]) -> list[dict[str, Any]]:
    """One edge per (emitter, topic, subscriber); `virtual` when either end is declared virtual."""
    steps = list(steps)
    edges: list[dict[str, Any]] = []
    for source in steps:
        outgoing = [(e, False) for e in source.emits] + [(e, True) for e in source.virtual_emits]
        for emit, virtual_emit in outgoing:
            for target in steps:
                real = target.type == "event" and emit.topic in target.subscribes
                if not real and emit.topic not in target.virtual_subscribes:
                    continue
                edges.append(
                    {
                        "from": source.name,
                        "to": target.name,
                        "topic": emit.topic,
                        "label": emit.label or emit.topic,
                        "conditional": emit.conditional,
                        "virtual": virtual_emit or not real,
                    }
                )
    return edges


def flow_graphs(steps: Iterable[StepDefinition]) -> list[dict[str, Any]]:
    """`all` (every step) first, then one graph per named flow, by name."""
    steps = sorted(steps, key=lambda s: s.name)
    names = sorted({f for s in steps for f in s.flows})
    graphs = []
    for name in [ALL_FLOWS, *names]:
        members = steps if name == ALL_FLOWS else [s for s in steps if name in s.flows]
        graphs.append({"name": name, "nodes": [step_node(s) for s in members], "edges": topic_edges(members)})
    return graphs
