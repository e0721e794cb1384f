"""Turn the schema values a Python step may write into JSON Schema.

Classic Motia required `Model.model_json_schema()` in the config and broke when a
Pydantic class was put there directly (a template even suggested it). stephost
accepts the class, a `TypeAdapter`, or a JSON Schema dict, and the host only ever
sees JSON Schema.
"""

from __future__ import annotations

from typing import Any

# Not pydantic itself: a step that never imports it cannot hand us its classes,
# and the worker should not pay for loading it (see _pydantic.py).
from ._pydantic import is_model, is_model_class, is_type_adapter


class SchemaError(ValueError):
    """Raised when a schema field holds something that is not a schema."""


def to_json_schema(value: Any, field: str) -> Any:
    """Return `value` as JSON Schema.

    Pydantic model classes and TypeAdapter instances are converted; dicts (assumed
    to be JSON Schema already) and None pass through unchanged. Anything else
    raises SchemaError naming `field`.
    """
    if value is None or isinstance(value, dict):
        return value
    if is_model_class(value):
        return value.model_json_schema()
    if is_type_adapter(value):
        return value.json_schema()
    # Pydantic v1 models (pydantic.v1) and look-alikes expose the same method.
    converter = getattr(value, "model_json_schema", None)
    if isinstance(value, type) and callable(converter):
        return converter()
    raise SchemaError(
        f"config field {field!r} must be a JSON Schema dict or a Pydantic model class, got {_describe(value)}"
    )


def _describe(value: Any) -> str:
    if is_model(value):
        return f"an instance of {type(value).__qualname__} (pass the class, not an instance)"
    if isinstance(value, type):
        return f"the class {value.__qualname__}"
    return f"a value of type {type(value).__qualname__}"
