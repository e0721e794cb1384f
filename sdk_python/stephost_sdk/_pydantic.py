"""Pydantic, only for steps that use it.

Importing pydantic costs a worker ~18 ms and several MiB of RSS that it keeps
for its whole life, and most steps never touch it. The SDK therefore never
imports it: a value can only be a Pydantic model (or TypeAdapter) if the
module defining that class is already loaded, so looking it up in sys.modules
answers "is this a model?" exactly, without loading anything. The lookup is
made at each call, so a handler importing pydantic lazily is seen as well.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeGuard

    from pydantic import BaseModel, TypeAdapter


def _loaded(module: str, name: str) -> type[Any] | None:
    """Class `name` of `module` if that module is already imported, else None."""
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return cls if isinstance(cls, type) else None


def is_model(value: Any) -> TypeGuard[BaseModel]:
    """True for an instance of a Pydantic (v2) model."""
    # BaseModel is defined in pydantic.main, whatever name it was imported by.
    base = _loaded("pydantic.main", "BaseModel")
    return base is not None and isinstance(value, base)


def is_model_class(value: Any) -> TypeGuard[type[BaseModel]]:
    """True for a Pydantic (v2) model class."""
    base = _loaded("pydantic.main", "BaseModel")
    return base is not None and isinstance(value, type) and issubclass(value, base)


def is_type_adapter(value: Any) -> TypeGuard[TypeAdapter[Any]]:
    """True for a `pydantic.TypeAdapter` instance."""
    adapter = _loaded("pydantic.type_adapter", "TypeAdapter")
    return adapter is not None and isinstance(value, adapter)
