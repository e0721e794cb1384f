from __future__ import annotations

from pathlib import Path

import pytest

from stephost.workers.environment import DotEnvError, parse_dotenv, worker_environment


def test_dotenv_lines_comments_export_and_quotes() -> None:
    text = "\n".join(
        [
            "# a comment",
            "PLAIN=value",
            "export EXPORTED=yes",
            "SPACED = padded  ",
            "SINGLE='kept # as is'",
            'DOUBLE="line\\nbreak"',
            "TRAILING=value # a comment",
            "EMPTY=",
        ]
    )
    assert parse_dotenv(text) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "padded",
        "SINGLE": "kept # as is",
        "DOUBLE": "line\nbreak",
        "TRAILING": "value",
        "EMPTY": "",
    }


def test_a_bad_dotenv_line_names_the_file_and_line() -> None:
    with pytest.raises(DotEnvError, match=r"\.env:2: expected KEY=value"):
        parse_dotenv("OK=1\nnot a line", ".env")


def test_workers_get_basics_allowed_names_and_dotenv_but_nothing_else(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FROM_FILE=1\nALLOWED_X=from-file-wins\n")
    host = {"PATH": "/bin", "HOME": "/root", "SECRET": "no", "ALLOWED_X": "host", "ALLOWED_Y": "y", "OTHER": "no"}
    env = worker_environment(tmp_path, ("ALLOWED_*",), host)
    assert env == {"PATH": "/bin", "HOME": "/root", "ALLOWED_X": "from-file-wins", "ALLOWED_Y": "y", "FROM_FILE": "1"}
