"""A worker imports pydantic only for steps that use it (issue 9: start-up time and idle RSS).

Each check runs in a fresh interpreter, since this test process has long imported
pydantic. test_worker_protocol.py checks the same from inside a running worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
WATCHED = ("pydantic", "pydantic_core")


def run_fresh(code: str) -> Any:
    """Run `code` in a new interpreter; it prints one JSON value, returned here."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(REPO / part) for part in ("proto/gen/python", "sdk_python"))}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


LOADED = f"sorted(n for n in sys.modules if n.partition('.')[0] in {WATCHED!r})"


def test_the_worker_does_not_import_pydantic() -> None:
    loaded = run_fresh(
        f"""
        import json, sys
        import stephost_sdk.worker
        print(json.dumps({LOADED}))
        """
    )

    assert loaded == []


def test_encoding_the_usual_values_loads_no_pydantic_and_anything_else_loads_it_on_demand() -> None:
    result = run_fresh(
        f"""
        import dataclasses, datetime, decimal, enum, json, sys, uuid
        from stephost_sdk import encoding
        from stephost_sdk.context import _fields_json
        from stephost_sdk.response import to_api_response
        from stephost_sdk.config import serialise_config

        class Colour(enum.Enum):
            RED = "red"

        @dataclasses.dataclass
        class Line:
            sku: str
            at: datetime.date

        usual = {{
            "at": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
            "id": uuid.UUID(int=1),
            "price": decimal.Decimal("9.90"),
            "colour": Colour.RED,
            "tags": {{"x"}},
            "line": Line("a-1", datetime.date(2024, 1, 2)),
        }}
        out = {{"usual": encoding.dumps(usual).decode()}}
        _fields_json(usual)
        to_api_response({{"status": 200, "body": usual}})
        serialise_config({{"type": "api", "bodySchema": {{"type": "object"}}}})
        out["loaded_after_usual"] = {LOADED}
        out["timedelta"] = encoding.dumps(datetime.timedelta(days=1)).decode()
        out["loaded_after_timedelta"] = {LOADED}
        print(json.dumps(out))
        """
    )

    assert json.loads(result["usual"]) == {
        "at": "2024-05-06T07:08:09Z",
        "id": "00000000-0000-0000-0000-000000000001",
        "price": "9.90",
        "colour": "red",
        "tags": ["x"],
        "line": {"sku": "a-1", "at": "2024-01-02"},
    }
    assert result["loaded_after_usual"] == []
    # pydantic-core knows how to write a timedelta; it is imported then, not before.
    assert result["timedelta"] == '"P1D"'
    assert "pydantic_core" in result["loaded_after_timedelta"]
    assert "pydantic" not in result["loaded_after_timedelta"]


def test_a_step_importing_pydantic_late_still_gets_its_models_handled() -> None:
    # The SDK looks pydantic up when it needs it, not once at import.
    result = run_fresh(
        """
        import json
        from stephost_sdk import encoding
        from stephost_sdk.response import to_api_response
        from stephost_sdk.schema import to_json_schema

        import pydantic

        class Out(pydantic.BaseModel):
            status: int = 201
            body: dict

        response = to_api_response(Out(body={"ok": True}))
        print(json.dumps({
            "status": response.status,
            "body": response.body.decode(),
            "schema": to_json_schema(Out, "bodySchema")["required"],
            "adapter": to_json_schema(pydantic.TypeAdapter(int), "bodySchema"),
            "model": encoding.dumps(Out(body={})).decode(),
        }))
        """
    )

    assert result == {
        "status": 201,
        "body": '{"ok":true}',
        "schema": ["body"],
        "adapter": {"type": "integer"},
        "model": '{"status":201,"body":{}}',
    }


def test_the_worker_does_not_load_ssl_until_something_uses_it() -> None:
    result = run_fresh(
        """
        import json, sys
        import stephost_sdk.worker
        print(json.dumps({"ssl": "ssl" in sys.modules, "_ssl": "_ssl" in sys.modules}))
        """
    )

    assert result == {"ssl": False, "_ssl": False}


def test_asyncio_tls_still_works_with_ssl_loaded_on_demand() -> None:
    # ssl=True without the step ever importing ssl: asyncio must start a real TLS handshake
    # (the plain TCP server below answers it with garbage, so the handshake fails with an
    # SSL error) rather than report that the ssl module is missing.
    result = run_fresh(
        """
        import json, sys
        import stephost_sdk.worker
        import asyncio

        async def main():
            async def plain(reader, writer):
                await reader.read(1)
                writer.write(b"not tls at all" * 20)
                await writer.drain()
                writer.close()
            server = await asyncio.start_server(plain, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            before = "ssl" in sys.modules
            try:
                await asyncio.open_connection("127.0.0.1", port, ssl=True)
                outcome = "connected"
            except Exception as exc:
                outcome = type(exc).__module__ + "." + type(exc).__name__
            server.close()
            return {"before": before, "after": "ssl" in sys.modules, "outcome": outcome}

        print(json.dumps(asyncio.run(main())))
        """
    )

    assert result["before"] is False and result["after"] is True
    assert result["outcome"] in ("ssl.SSLError", "ssl.SSLCertVerificationError"), result


def test_a_step_that_imports_ssl_gets_the_real_module() -> None:
    result = run_fresh(
        """
        import json
        import stephost_sdk.worker
        import ssl, asyncio.sslproto
        context = ssl.create_default_context()
        same = asyncio.sslproto.ssl.SSLContext is ssl.SSLContext
        print(json.dumps({"real": type(context).__module__, "asyncio_sees": same}))
        """
    )

    assert result == {"real": "ssl", "asyncio_sees": True}
