"""Steps, routes and topics: pure data built from validated step definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from stephost.config import StepDefinition
from stephost.errors import ConfigProblem

_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)(\?)?")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    step: StepDefinition
    pattern: re.Pattern[str]
    param_names: tuple[str, ...]

    def match(self, path: str) -> dict[str, str] | None:
        m = self.pattern.fullmatch(path)
        if m is None:
            return None
        return {k: unquote(v) for k, v in m.groupdict().items() if v is not None}


def compile_path(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """`/users/:id` -> a regex with named groups; `:x?` is optional, `*` matches anything."""
    names: list[str] = []
    out: list[str] = []
    pos = 0
    for m in _PARAM.finditer(path):
        out.append(re.escape(path[pos : m.start()]).replace(r"\*", ".*"))
        names.append(m.group(1))
        segment = f"(?P<{m.group(1)}>[^/]+)"
        if m.group(2):
            # an optional param also swallows the slash before it
            if out and out[-1].endswith("/"):
                out[-1] = out[-1][:-1]
                segment = f"(?:/{segment})?"
            else:
                segment += "?"
        out.append(segment)
        pos = m.end()
    out.append(re.escape(path[pos:]).replace(r"\*", ".*"))
    regex = "".join(out)
    # A trailing slash is optional, as in Express.
    if regex.endswith("/") and len(regex) > 1:
        regex = regex[:-1]
    return re.compile(regex + "/?"), tuple(names)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_params: dict[str, str]


@dataclass
class Registry:
    """Every valid step of a project, indexed by name, route and topic."""

    steps: dict[str, StepDefinition] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    subscribers: dict[str, list[StepDefinition]] = field(default_factory=dict)

    @property
    def cron_steps(self) -> list[StepDefinition]:
        return [s for s in self.steps.values() if s.type == "cron"]

    def find_route(self, method: str, path: str) -> tuple[RouteMatch | None, list[str]]:
        """The route for `method path`, or None and the methods the path allows (for 405)."""
        allowed: list[str] = []
        for route in self.routes:
            params = route.match(path)
            if params is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return RouteMatch(route, params), []
            allowed.append(route.method)
        return None, allowed

    def subscribers_of(self, topic: str) -> list[StepDefinition]:
        return self.subscribers.get(topic, [])


def build_registry(steps: list[StepDefinition]) -> tuple[Registry, list[ConfigProblem]]:
    """Index `steps`; a duplicate name or `METHOD path` is a problem and the later step is left out."""
    registry = Registry()
    problems: list[ConfigProblem] = []
    seen_routes: dict[tuple[str, str], StepDefinition] = {}
    for step in steps:
        if step.name in registry.steps:
            other = registry.steps[step.name]
            problems.append(
                ConfigProblem(step.file, step.name, "name", f"duplicate step name, also used by {other.file}")
            )
            continue
        if step.type == "api":
            assert step.path is not None and step.method is not None
            key = (step.method, _normalise(step.path))
            if key in seen_routes:
                other = seen_routes[key]
                problems.append(
                    ConfigProblem(
                        step.file,
                        step.name,
                        "path",
                        f"duplicate route {step.method} {step.path}, also served by step {other.name!r} ({other.file})",
                    )
                )
                continue
            seen_routes[key] = step
            pattern, names = compile_path(step.path)
            registry.routes.append(Route(step.method, step.path, step, pattern, names))
        registry.steps[step.name] = step
        if step.type == "event":
            for topic in step.subscribes:
                registry.subscribers.setdefault(topic, []).append(step)
    # `/orders/stats` must win over `/orders/:id` whatever the discovery order.
    registry.routes.sort(key=lambda r: (len(r.param_names), "*" in r.path))
    return registry, problems


def _normalise(path: str) -> str:
    """Routes that differ only in param names are the same route."""
    return _PARAM.sub(":", path).rstrip("/") or "/"
