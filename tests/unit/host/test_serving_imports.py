"""The host imports what only serving needs (Uvicorn, Quart, jsonschema) while its first
workers start, not before (stephost.app.SERVING_MODULES): importing the CLI must not pull
them in, or the workers of every start wait a quarter of a second longer for a core."""

from __future__ import annotations

import subprocess
import sys

from stephost.app import SERVING_MODULES


def test_importing_the_cli_leaves_the_serving_stack_unimported() -> None:
    probe = (
        "import sys, stephost.cli\n"
        "heavy = {'uvicorn', 'httptools', 'quart', 'hypercorn', 'jsonschema', 'h11', 'h2', 'wsproto',"
        " 'werkzeug', 'flask'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_serving_modules_bring_the_http_stack_and_jsonschema() -> None:
    probe = (
        "import importlib, sys\n"
        f"for m in {SERVING_MODULES!r}: importlib.import_module(m)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'uvicorn', 'quart', 'jsonschema'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "['jsonschema', 'quart', 'uvicorn']"
