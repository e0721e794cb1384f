"""Error codes are one list, shared by the host, the protocol doc and both SDKs."""

from __future__ import annotations

import re
from pathlib import Path

from stephost import errors

ROOT = Path(__file__).resolve().parents[3]


def documented_codes() -> list[str]:
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("## 5. Error codes", 1)[1]
    return re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE)


def test_the_protocol_doc_lists_exactly_the_hosts_codes() -> None:
    assert documented_codes() == list(errors.ERROR_CODES)


def test_the_python_sdk_defines_every_code_with_the_same_string() -> None:
    import stephost_sdk.errors as sdk_errors

    for code in errors.ERROR_CODES:
        assert getattr(sdk_errors, code) == code


def test_the_node_sdk_defines_every_code_with_the_same_string() -> None:
    source = (ROOT / "sdk_node" / "src" / "errors.ts").read_text()
    for code in errors.ERROR_CODES:
        assert re.search(rf"\b{code}\b\s*[:=]\s*['\"]{code}['\"]", source), f"{code} missing from sdk_node"


# Codes only the host sends (W-CODE-1): an SDK need not define them.
HOST_ONLY = {"WORKER_CRASHED", "TIMEOUT"}


def test_the_ruby_sdk_defines_every_code_a_worker_sees_and_no_other() -> None:
    source = (ROOT / "sdk_ruby" / "lib" / "stephost" / "errors.rb").read_text()
    codes_module = source.split("module Codes", 1)[1].split("end", 1)[0]
    defined = dict(re.findall(r"^\s*([A-Z_]+) = \"([A-Z_]+)\"$", codes_module, re.MULTILINE))
    assert all(name == value for name, value in defined.items()), defined
    assert set(defined) == set(errors.ERROR_CODES) - HOST_ONLY
