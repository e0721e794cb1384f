"""Checks shared by the OpenAPI tests: a validated document, and its schemas put to work."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from stephost.config import StepDefinition, parse_step_config

DOC_URI = "urn:stephost-openapi-test"


def step(config: dict[str, Any], file: str = "steps/x_step.py") -> StepDefinition:
    """A step as the host has it after checking `config`."""
    parsed = parse_step_config(config, file=file, language="python")
    assert isinstance(parsed, StepDefinition), parsed
    return parsed


def valid(document: dict[str, Any]) -> dict[str, Any]:
    """`document`, after openapi-spec-validator found it valid OpenAPI 3.1 (every $ref resolves)."""
    validate(document)
    assert document["openapi"].startswith("3.1.")
    return document


def schema_in(document: dict[str, Any], *pointer: str) -> Draft202012Validator:
    """A validator for the schema at `pointer` in `document`, its `$ref`s resolved within the document."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
    fragment = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in pointer)
    return Draft202012Validator({"$ref": f"{DOC_URI}#{fragment}"}, registry=registry)


def body_schema(document: dict[str, Any], path: str, method: str) -> Draft202012Validator:
    return schema_in(document, "paths", path, method, "requestBody", "content", "application/json", "schema")


def response_schema(document: dict[str, Any], path: str, method: str, status: str) -> Draft202012Validator:
    return schema_in(document, "paths", path, method, "responses", status, "content", "application/json", "schema")


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (METHOD, path) the document describes."""
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}
