from __future__ import annotations

import json
from pathlib import Path

from stephost.host_settings import HostSettings
from stephost.settings import DEFAULT_BODY_LIMIT, load_project_settings


def write(tmp_path: Path, content: object) -> Path:
    (tmp_path / "stephost.json").write_text(json.dumps(content))
    return tmp_path


def test_a_project_without_stephost_json_gets_the_defaults(tmp_path: Path) -> None:
    settings, problems = load_project_settings(tmp_path)
    assert problems == []
    assert settings.body_limit == DEFAULT_BODY_LIMIT
    assert settings.cors.enabled and settings.cors.origins == ("*",)
    assert settings.emit_endpoint is None


def test_settings_are_read_from_stephost_json(tmp_path: Path) -> None:
    settings, problems = load_project_settings(
        write(tmp_path, {"bodyLimit": 1024, "cors": {"origins": ["https://app.example"]}, "emitEndpoint": True})
    )
    assert problems == []
    assert settings.body_limit == 1024
    assert settings.cors.allow_origin("https://app.example") == "https://app.example"
    assert settings.cors.allow_origin("https://evil.example") is None
    assert settings.emit_endpoint is True


def test_workbench_setting_is_a_boolean(tmp_path: Path) -> None:
    assert load_project_settings(tmp_path)[0].workbench is None
    assert load_project_settings(write(tmp_path, {"workbench": True}))[0].workbench is True
    _, problems = load_project_settings(write(tmp_path, {"workbench": "on"}))
    assert [str(p) for p in problems] == ["stephost.json field 'workbench': must be a boolean, got 'on'"]


def test_unknown_keys_and_wrong_types_name_the_file_and_field(tmp_path: Path) -> None:
    _, problems = load_project_settings(
        write(tmp_path, {"bodyLimt": 1, "cors": {"origins": "x", "maxAge": -1}, "emitEndpoint": "yes"})
    )
    assert [str(p) for p in problems] == [
        "stephost.json field 'bodyLimt': is not a known setting "
        "(bodyLimit, cors, cron, emitEndpoint, env, isolation, limits, redis, retry, streams, workbench)",
        "stephost.json field 'cors.origins': must be a non-empty list of origins, got 'x'",
        "stephost.json field 'cors.maxAge': must be a whole number of seconds, got -1",
        "stephost.json field 'emitEndpoint': must be a boolean, got 'yes'",
    ]


def test_malformed_json_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "stephost.json").write_text("{nope")
    _, problems = load_project_settings(tmp_path)
    assert "stephost.json" in str(problems[0]) and "is not valid JSON" in str(problems[0])


def test_the_emit_endpoint_is_on_in_dev_and_off_in_start_unless_asked(tmp_path: Path) -> None:
    project, _ = load_project_settings(tmp_path)
    assert HostSettings(project=tmp_path, mode="dev").http_settings(project).emit_endpoint is True
    assert HostSettings(project=tmp_path, mode="start").http_settings(project).emit_endpoint is False
    assert HostSettings(project=tmp_path, mode="start", emit_endpoint=True).http_settings(project).emit_endpoint


def test_cli_flags_override_the_project_file(tmp_path: Path) -> None:
    project, _ = load_project_settings(write(tmp_path, {"bodyLimit": 10, "cors": False}))
    http = HostSettings(project=tmp_path, body_limit=99, cors_origins=("https://a.example",)).http_settings(project)
    assert http.body_limit == 99
    assert http.cors.enabled and http.cors.origins == ("https://a.example",)


def test_retry_backoff_is_configurable_and_checked(tmp_path: Path) -> None:
    settings, problems = load_project_settings(write(tmp_path, {"retry": {"baseDelay": 0.1, "maxDelay": 2}}))
    assert problems == []
    assert settings.retry.base_delay_s == 0.1 and settings.retry.max_delay_s == 2
    _, problems = load_project_settings(write(tmp_path, {"retry": {"jitter": 3, "base": 1}}))
    assert [str(p) for p in problems] == [
        "stephost.json field 'retry.base': is not a known field (baseDelay, factor, jitter, maxDelay)",
        "stephost.json field 'retry.jitter': must be between 0 and 1, got 3",
    ]


def test_the_default_ram_limit_is_configurable_and_checked(tmp_path: Path) -> None:
    settings, problems = load_project_settings(write(tmp_path, {"limits": {"ram": 512}}))
    assert problems == [] and settings.default_ram_mb == 512
    settings, problems = load_project_settings(write(tmp_path, {"limits": {"ram": None}}))
    assert problems == [] and settings.default_ram_mb is None
    _, problems = load_project_settings(write(tmp_path, {"limits": {"ram": 64}}))
    assert [str(p) for p in problems] == [
        "stephost.json field 'limits.ram': must be megabytes within 128..10240, or null, got 64"
    ]


def test_the_default_timeout_is_configurable_and_reaches_api_steps(tmp_path: Path) -> None:
    project, problems = load_project_settings(write(tmp_path, {"limits": {"timeout": 5}}))
    assert problems == [] and project.default_timeout_s == 5
    assert HostSettings(project=tmp_path).http_settings(project).api_timeout_s == 5
    _, problems = load_project_settings(write(tmp_path, {"limits": {"timeout": 0}}))
    assert [str(p) for p in problems] == [
        "stephost.json field 'limits.timeout': must be seconds within 1..900, or null, got 0"
    ]


def test_isolation_layers_are_read_and_checked(tmp_path: Path) -> None:
    settings, problems = load_project_settings(
        write(tmp_path, {"isolation": {"network": False, "user": "nobody", "filesystem": "readonly"}})
    )
    assert problems == []
    assert (settings.isolation.network, settings.isolation.user, settings.isolation.read_only_fs) == (
        False,
        "nobody",
        True,
    )
    for bad, message in [
        ({"filesystem": "ro"}, "field 'isolation.filesystem': must be \"full\" or \"readonly\", got 'ro'"),
        ({"network": "no"}, "field 'isolation.network': must be a boolean, got 'no'"),
        ({"user": ""}, "field 'isolation.user': must be a user name, got ''"),
        ({"chroot": True}, "field 'isolation': must be an object like"),
    ]:
        settings, problems = load_project_settings(write(tmp_path, {"isolation": bad}))
        assert len(problems) == 1 and message in str(problems[0]), problems
        assert not settings.isolation.requested


def test_a_redis_section_is_read_and_checked(tmp_path: Path) -> None:
    settings, problems = load_project_settings(
        write(tmp_path, {"redis": {"url": "redis://127.0.0.1:6379/0", "prefix": "shop"}})
    )
    assert problems == []
    assert settings.redis == {"url": "redis://127.0.0.1:6379/0", "prefix": "shop"}
    for bad, message in [
        ({"url": "http://x"}, "field 'redis.url': must be a redis://, rediss:// or unix:// URL, got 'http://x'"),
        ({"url": "redis://h", "prefix": "a:b"}, "field 'redis.prefix': must be a non-empty name without ':'"),
        ({"prefix": "x"}, "field 'redis': must be an object like"),
    ]:
        settings, problems = load_project_settings(write(tmp_path, {"redis": bad}))
        assert len(problems) == 1 and message in str(problems[0]), problems
        assert settings.redis is None
