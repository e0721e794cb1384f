"""Import one step file the way a project expects it to be imported.

Stream files (`*_stream.py`) load the same way; they need no handler, and their
`config["canAccess"]`, when present, is the function the host calls to check a
subscription.

Steps use both relative imports (`from .helpers import x`, `from ..services import
y`) and absolute project imports (`from src.services.x import y`). Both work when
the project root is on sys.path and the file is imported under its dotted name
relative to that root (steps/orders/create_step.py -> `steps.orders.create_step`),
with every folder on the way a package, whether or not it has an __init__.py.

The step's parent packages, and the project's `src` and `steps` folders, are
bound here rather than left to the import system: a folder without __init__.py is
only a namespace package, and the import system prefers any *regular* package of
the same name found later on sys.path (a stray top-level `src` package in
site-packages is not rare). Binding them to the project's own folders first makes
the project win.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import CONFIG_MISSING, HANDLER_MISSING, LOAD_ERROR, LoadError

# The project folders steps import from absolutely (`from src.services.x import y`).
_PROJECT_FOLDERS = ("src", "steps")

# Folders holding installed packages, never the project's own source, wherever
# they sit below the project root.
_INSTALLED_FOLDERS = frozenset({"site-packages", "dist-packages", "__pypackages__", "node_modules", ".venv", "venv"})
# The SDK's own packages (and the generated protocol code it imports).
_SDK_PACKAGES = frozenset({"stephost_sdk", "stephost_proto"})
_SDK_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class LoadedStep:
    """A step file's module with its `config` and `handler` (None for noop steps
    and stream files); for a stream file, its `canAccess` (None when absent)."""

    file: Path
    module_name: str
    module: ModuleType
    config: dict[str, Any]
    handler: Callable[..., Any] | None
    is_stream: bool = False
    can_access: Callable[..., Any] | None = None

    @property
    def functions(self) -> tuple[str, ...]:
        """Hello.functions: the optional functions the host may invoke."""
        return ("canAccess",) if self.can_access is not None else ()


def is_stream_file(path: Path) -> bool:
    """Stream files are named `*_stream.py` (Motia's Python convention)."""
    return path.name.endswith("_stream.py")


def module_name_for(step_file: Path, project_root: Path) -> str:
    """The dotted name `step_file` is imported under.

    Raises ValueError when the file is not inside `project_root`.
    """
    relative = step_file.resolve().relative_to(project_root.resolve())
    return ".".join(relative.with_suffix("").parts)


def load_step(step_file: Path, project_root: Path) -> LoadedStep:
    """Import `step_file` and read its `config` and `handler`.

    Raises LoadError: LOAD_ERROR when the file does not import (the message names
    the file and the error, `stack` holds the traceback), CONFIG_MISSING when it
    has no `config` dict, HANDLER_MISSING when a non-noop step has no callable
    `handler` (stream files need none), LOAD_ERROR when a stream's
    `config["canAccess"]` is not callable.
    """
    step_file = step_file.resolve()
    project_root = project_root.resolve()
    try:
        name = module_name_for(step_file, project_root)
    except ValueError:
        raise LoadError(
            LOAD_ERROR, f"{step_file}: the step file is not inside the project root {project_root}"
        ) from None
    if not step_file.is_file():
        raise LoadError(LOAD_ERROR, f"{step_file}: no such file")

    root_entry = str(project_root)
    if root_entry not in sys.path:
        sys.path.insert(0, root_entry)
    for folder in _PROJECT_FOLDERS:
        directory = project_root / folder
        # Only folders without __init__.py are at risk of being captured; a
        # regular package is found first anyway, and binding it here would run
        # its __init__ before anything asks for it.
        if directory.is_dir() and not (directory / "__init__.py").is_file():
            _bind_package(folder, directory)

    try:
        module = _import(name, step_file, project_root)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        # SystemExit too: a step calling sys.exit() at import is a broken step,
        # and the host must hear about it through LoadFailure.
        raise LoadError(
            LOAD_ERROR,
            f"{step_file}: {type(exc).__name__}: {exc}",
            stack="".join(traceback.format_exception(exc)),
        ) from exc

    config = getattr(module, "config", None)
    if config is None:
        raise LoadError(CONFIG_MISSING, f"{step_file}: the step file defines no module-level `config`")
    if not isinstance(config, dict):
        # docs/protocol.md W-FAIL-1: a config that is there but not an object is a LOAD_ERROR
        raise LoadError(
            LOAD_ERROR,
            f"{step_file}: `config` must be a dict, got {type(config).__name__}",
        )

    stream = is_stream_file(step_file)
    handler = getattr(module, "handler", None)
    if handler is not None and not callable(handler):
        raise LoadError(HANDLER_MISSING, f"{step_file}: `handler` must be a function, got {type(handler).__name__}")
    if handler is None and config.get("type") != "noop" and not stream:
        raise LoadError(
            HANDLER_MISSING,
            f"{step_file}: the step file defines no module-level `handler` (only steps of type 'noop' may omit it)",
        )
    can_access = config.get("canAccess") if stream else None
    if can_access is not None and not callable(can_access):
        raise LoadError(
            LOAD_ERROR,
            f"{step_file}: config['canAccess'] must be a function, got {type(can_access).__name__}",
        )
    return LoadedStep(step_file, name, module, config, handler, stream, can_access)


def source_files(step_file: Path, project_root: Path, modules: Mapping[str, ModuleType] | None = None) -> list[str]:
    """Hello.source_files: the project's own files loaded so far, the step file included.

    Every module in `modules` (default: sys.modules) whose `__file__` is under
    `project_root`, outside installed packages (site-packages, a venv,
    node_modules) and outside the SDK. Absolute real paths, sorted, no repeats.
    A helper imported only later (inside a handler) is not listed.
    """
    root = project_root.resolve()
    # Most modules are outside the project: a string test on the real path
    # rules them out before any Path is built (the same test as relative_to).
    root_prefix = os.path.join(str(root), "")
    found = {str(step_file.resolve())}
    real_folders: dict[str, str] = {}
    for name, module in list((sys.modules if modules is None else modules).items()):
        if name.partition(".")[0] in _SDK_PACKAGES:
            continue
        location = getattr(module, "__file__", None)
        if not isinstance(location, str) or not location:
            continue  # builtins, frozen modules, namespace packages
        try:
            real = _real_path(location, real_folders)
        except (OSError, RuntimeError, ValueError):
            continue
        if not real.startswith(root_prefix):
            continue  # outside the project (the standard library, installed packages)
        path = Path(real)
        relative = path.relative_to(root)
        if _INSTALLED_FOLDERS.intersection(relative.parts[:-1]) or path.is_relative_to(_SDK_DIR):
            continue
        if path.is_file():
            found.add(str(path))
    return sorted(found)


def _real_path(location: str, real_folders: dict[str, str]) -> str:
    """`str(Path(location).resolve())`, resolving each folder once (in `real_folders`).

    sys.modules holds a few hundred modules from a few dozen folders, and
    resolving each file's whole path costs an lstat per path component: that
    was most of a worker's time between loading its step and saying Hello.
    The real path of a file that is not itself a symlink is its folder's real
    path joined with its name.
    """
    folder, file = os.path.split(location)
    if not os.path.isabs(folder) or file in ("", ".", "..") or os.path.islink(location):
        return str(Path(location).resolve())
    real = real_folders.get(folder)
    if real is None:
        real = real_folders[folder] = os.path.realpath(folder)
    return os.path.join(real, file)


def _import(name: str, step_file: Path, project_root: Path) -> ModuleType:
    parts = name.split(".")
    for depth in range(1, len(parts)):
        _bind_package(".".join(parts[:depth]), project_root.joinpath(*parts[:depth]))

    module = _exec_registered(name, importlib.util.spec_from_file_location(name, step_file), step_file)
    _attach(name, module)
    return module


def _exec_registered(name: str, spec: ModuleSpec | None, source: Path) -> ModuleType:
    """Run a module from `spec`, registered in sys.modules while it runs; unregistered if it fails."""
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot create an import spec for {source}")
    module = importlib.util.module_from_spec(spec)
    # Registered before running the module so that code inspecting
    # sys.modules[__name__] during import (dataclasses, pickling, typing) works.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _bind_package(name: str, directory: Path) -> None:
    """Make `name` the package for `directory`, unless it already is."""
    existing = sys.modules.get(name)
    if existing is not None and str(directory) in list(getattr(existing, "__path__", [])):
        return

    init = directory / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(directory)])
        module = _exec_registered(name, spec, init)
    else:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(directory)]
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
    _attach(name, module)


def _attach(name: str, module: ModuleType) -> None:
    """Set `module` as an attribute of its parent package, as `import` does."""
    parent_name, _, child = name.rpartition(".")
    if parent_name and parent_name in sys.modules:
        setattr(sys.modules[parent_name], child, module)
