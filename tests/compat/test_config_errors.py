"""`stephost start` on `invalid_config`: it refuses to start and names every mistake.

The project holds the mistakes Motia users make: a step importing a package that
is not installed, a wrong-typed config field, the same step name in a TS and a
Python file, a Python syntax error; plus a valid JS step.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from stephost.testing import free_port
from tests.compat.helpers import PROJECTS


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    data_dir = tmp_path_factory.mktemp("invalid-data")
    argv = [sys.executable, "-m", "stephost.cli", "start", str(PROJECTS / "invalid_config")]
    argv += ["--port", str(free_port()), "--host", "127.0.0.1", "--data-dir", str(data_dir)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=90)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def line_naming(result: subprocess.CompletedProcess[str], file: str) -> str:
    lines = [line for line in output(result).splitlines() if file in line]
    assert lines, f"nothing names {file}:\n{output(result)}"
    return "\n".join(lines)


def test_start_refuses_the_project_with_exit_code_1(refused: subprocess.CompletedProcess[str]) -> None:
    assert refused.returncode == 1, output(refused)
    assert "not starting" in output(refused)


def test_an_import_error_names_the_file_and_the_missing_module(refused: subprocess.CompletedProcess[str]) -> None:
    line = line_naming(refused, "steps/billing/charge_step.py")
    assert "stripe_payments_sdk" in line
    assert "ModuleNotFoundError" in line or "No module named" in line


def test_a_wrong_typed_field_in_a_python_step_names_file_step_and_field(
    refused: subprocess.CompletedProcess[str],
) -> None:
    line = line_naming(refused, "steps/billing/wrong_type_step.py")
    assert "(step 'WrongType') field 'emits'" in line
    assert "invoice.paid" in line


def test_a_duplicate_step_name_across_typescript_and_python_names_both_files(
    refused: subprocess.CompletedProcess[str],
) -> None:
    out = output(refused)
    duplicate = [line for line in out.splitlines() if "duplicate step name" in line]
    assert len(duplicate) == 1, out
    assert "'SendInvoice'" in duplicate[0]
    assert "steps/invoices/send_invoice.step.ts" in duplicate[0]
    assert "steps/invoices/send_invoice_step.py" in duplicate[0]


def test_a_python_syntax_error_names_the_file_and_line(refused: subprocess.CompletedProcess[str]) -> None:
    line = line_naming(refused, "steps/billing/broken_syntax_step.py")
    assert "SyntaxError" in line
    assert "line 4" in line


def test_the_valid_steps_are_not_reported(refused: subprocess.CompletedProcess[str]) -> None:
    out = output(refused)
    assert "list_invoices.step.js" not in out
    assert "4 problem(s)" in out
