from __future__ import annotations

from stephost.config import StepDefinition
from stephost.registry import build_registry


def api(name: str, method: str, path: str, file: str = "steps/a.step.ts") -> StepDefinition:
    return StepDefinition(name=name, type="api", file=file, language="typescript", method=method, path=path)


def test_a_path_param_route_matches_and_decodes_its_params() -> None:
    registry, problems = build_registry([api("A", "GET", "/users/:id/posts/:post")])
    assert problems == []
    match, _ = registry.find_route("GET", "/users/ada%20l/posts/7")
    assert match is not None
    assert match.path_params == {"id": "ada l", "post": "7"}


def test_a_static_route_wins_over_a_param_route_whatever_the_order() -> None:
    registry, _ = build_registry([api("ById", "GET", "/orders/:id"), api("Stats", "GET", "/orders/stats")])
    match, _ = registry.find_route("GET", "/orders/stats")
    assert match is not None and match.route.step.name == "Stats"
    match, _ = registry.find_route("GET", "/orders/42")
    assert match is not None and match.route.step.name == "ById"


def test_a_known_path_with_another_method_reports_the_allowed_methods() -> None:
    registry, _ = build_registry([api("A", "POST", "/x"), api("B", "PUT", "/x")])
    match, allowed = registry.find_route("GET", "/x")
    assert match is None
    assert sorted(allowed) == ["POST", "PUT"]


def test_a_trailing_slash_and_an_optional_param_match() -> None:
    registry, _ = build_registry([api("A", "GET", "/items/:id?")])
    assert registry.find_route("GET", "/items")[0] is not None
    assert registry.find_route("GET", "/items/")[0] is not None
    match = registry.find_route("GET", "/items/3")[0]
    assert match is not None and match.path_params == {"id": "3"}


def test_duplicate_names_and_routes_are_problems_naming_both_files() -> None:
    steps = [
        api("A", "GET", "/x/:id", "steps/one.step.ts"),
        api("A", "GET", "/y", "steps/two.step.ts"),
        api("C", "GET", "/x/:other", "steps/three.step.ts"),
    ]
    registry, problems = build_registry(steps)
    assert [str(p) for p in problems] == [
        "steps/two.step.ts (step 'A') field 'name': duplicate step name, also used by steps/one.step.ts",
        "steps/three.step.ts (step 'C') field 'path': duplicate route GET /x/:other, also served by step 'A' "
        "(steps/one.step.ts)",
    ]
    assert list(registry.steps) == ["A"]


def test_event_steps_are_indexed_by_every_topic_they_subscribe_to() -> None:
    e = StepDefinition(name="E", type="event", file="f", language="python", subscribes=("a", "b"))
    registry, _ = build_registry([e])
    assert registry.subscribers_of("a") == [e]
    assert registry.subscribers_of("b") == [e]
    assert registry.subscribers_of("c") == []
