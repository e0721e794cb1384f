"""Which backend a host runs on: the command line, then the environment, then stephost.json."""

from __future__ import annotations

from pathlib import Path

from stephost.storage import StorageChoice, choose_storage

PROJECT_REDIS = {"url": "redis://project:6379/0", "prefix": "fromfile"}


def test_sqlite_is_the_default() -> None:
    assert choose_storage(None, None, None, None, environ={}) == StorageChoice("sqlite")


def test_the_command_line_wins_over_the_environment_and_the_project_file() -> None:
    env = {"STEPHOST_REDIS_URL": "redis://env:6379/0", "STEPHOST_REDIS_PREFIX": "fromenv"}
    assert choose_storage(None, "redis://cli:6379/0", "fromcli", PROJECT_REDIS, environ=env) == StorageChoice(
        "redis", "redis://cli:6379/0", "fromcli"
    )
    assert choose_storage("memory", None, None, PROJECT_REDIS, environ=env) == StorageChoice("memory")


def test_the_environment_wins_over_the_project_file() -> None:
    env = {"STEPHOST_REDIS_URL": "redis://env:6379/0"}
    assert choose_storage(None, None, None, PROJECT_REDIS, environ=env) == StorageChoice(
        "redis", "redis://env:6379/0", "fromfile"
    )
    assert choose_storage(None, None, None, PROJECT_REDIS, environ={}) == StorageChoice(
        "redis", "redis://project:6379/0", "fromfile"
    )


def test_the_description_never_shows_a_password(tmp_path: Path) -> None:
    choice = StorageChoice("redis", "redis://:hunter2@cache:6379/0", "shop")
    assert choice.describe(tmp_path) == "storage: Redis at redis://***@cache:6379/0 (key prefix 'shop')"
    assert StorageChoice().describe(tmp_path) == f"storage: SQLite in {tmp_path}"
