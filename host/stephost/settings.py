"""Project settings: `stephost.json` at the project root (optional), overridden by CLI flags.

Checked as strictly as step configs: an unknown key or a wrong type names the file
and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stephost.bus.retry import RetryPolicy
from stephost.errors import ConfigProblem
from stephost.workers.isolation import Isolation

SETTINGS_FILE = "stephost.json"
DEFAULT_BODY_LIMIT = 10 * 1024 * 1024


@dataclass(frozen=True)
class CorsSettings:
    """Open by default, like classic Motia; `origins` other than `*` are echoed back when they match."""

    enabled: bool = True
    origins: tuple[str, ...] = ("*",)
    allow_credentials: bool = True
    max_age_s: int = 600

    def allow_origin(self, origin: str | None) -> str | None:
        if not self.enabled:
            return None
        if "*" in self.origins:
            return "*"
        return origin if origin in self.origins else None


@dataclass(frozen=True)
class ProjectSettings:
    body_limit: int = DEFAULT_BODY_LIMIT
    cors: CorsSettings = field(default_factory=CorsSettings)
    # None: on in `dev`, off in `start` (it lets any caller emit any topic).
    emit_endpoint: bool | None = None
    # None: the Workbench (/__workbench) is on in `dev`, off in `start`.
    workbench: bool | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cron_timezone: str = "UTC"
    # A stream client this many messages behind is disconnected.
    stream_max_pending: int = 1000
    # Host variables workers may see besides the basics and `.env` (glob patterns).
    env_allow: tuple[str, ...] = ()
    # RAM bound (MB) for workers whose step sets no infrastructure.handler.ram; None = unbounded.
    default_ram_mb: int | None = 2048
    # Processes and threads per worker (cgroup pids.max): a fork bomb stops here.
    default_pids: int | None = 1024
    # Seconds an invocation may run when its step sets no infrastructure.handler.timeout
    # (None: 30 s for api and event steps, 300 s for cron steps).
    default_timeout_s: float | None = None
    isolation: Isolation = field(default_factory=Isolation)
    # {"url": ..., "prefix": ...}: run on Redis (the command line and environment win).
    redis: dict[str, str] | None = None


def _problem(field_name: str, message: str) -> ConfigProblem:
    return ConfigProblem(SETTINGS_FILE, None, field_name, message)


def _parse_cors(raw: Any, problems: list[ConfigProblem]) -> CorsSettings:
    if raw is False:
        return CorsSettings(enabled=False)
    if raw is True or raw is None:
        return CorsSettings()
    if not isinstance(raw, dict):
        problems.append(_problem("cors", f"must be true, false or an object, got {raw!r}"))
        return CorsSettings()
    known = {"origins", "allowCredentials", "maxAge"}
    for key in sorted(set(raw) - known):
        problems.append(_problem(f"cors.{key}", f"is not a known field ({', '.join(sorted(known))})"))
    cors = CorsSettings()
    origins = raw.get("origins", ["*"])
    if not isinstance(origins, list) or not all(isinstance(o, str) and o for o in origins) or not origins:
        problems.append(_problem("cors.origins", f"must be a non-empty list of origins, got {origins!r}"))
    else:
        cors = replace(cors, origins=tuple(origins))
    credentials = raw.get("allowCredentials", True)
    if not isinstance(credentials, bool):
        problems.append(_problem("cors.allowCredentials", f"must be a boolean, got {credentials!r}"))
    else:
        cors = replace(cors, allow_credentials=credentials)
    max_age = raw.get("maxAge", 600)
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
        problems.append(_problem("cors.maxAge", f"must be a whole number of seconds, got {max_age!r}"))
    else:
        cors = replace(cors, max_age_s=max_age)
    return cors


def load_project_settings(project: Path) -> tuple[ProjectSettings, list[ConfigProblem]]:
    """Read `stephost.json` if the project has one; defaults otherwise."""
    path = project / SETTINGS_FILE
    if not path.exists():
        return ProjectSettings(), []
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        return ProjectSettings(), [_problem("", f"is not valid JSON: {exc}")]
    if not isinstance(raw, dict):
        return ProjectSettings(), [_problem("", f"must hold a JSON object, got {type(raw).__name__}")]
    problems: list[ConfigProblem] = []
    known = {
        *("bodyLimit", "cors", "cron", "emitEndpoint", "env", "isolation"),
        *("limits", "redis", "retry", "streams", "workbench"),
    }
    for key in sorted(set(raw) - known):
        problems.append(_problem(key, f"is not a known setting ({', '.join(sorted(known))})"))
    settings = ProjectSettings(cors=_parse_cors(raw.get("cors"), problems))
    limit = raw.get("bodyLimit", DEFAULT_BODY_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        problems.append(_problem("bodyLimit", f"must be a positive number of bytes, got {limit!r}"))
    else:
        settings = replace(settings, body_limit=limit)
    emit = raw.get("emitEndpoint")
    if emit is not None and not isinstance(emit, bool):
        problems.append(_problem("emitEndpoint", f"must be a boolean, got {emit!r}"))
    else:
        settings = replace(settings, emit_endpoint=emit)
    workbench = raw.get("workbench")
    if workbench is not None and not isinstance(workbench, bool):
        problems.append(_problem("workbench", f"must be a boolean, got {workbench!r}"))
    else:
        settings = replace(settings, workbench=workbench)
    settings = replace(settings, retry=_parse_retry(raw.get("retry"), problems))
    cron = raw.get("cron")
    if cron is not None:
        if not isinstance(cron, dict):
            problems.append(_problem("cron", f'must be an object like {{"timezone": "UTC"}}, got {cron!r}'))
        else:
            for key in sorted(set(cron) - {"timezone"}):
                problems.append(_problem(f"cron.{key}", "is not a known field (timezone)"))
            zone = cron.get("timezone", "UTC")
            try:
                ZoneInfo(zone)
                settings = replace(settings, cron_timezone=zone)
            except (ZoneInfoNotFoundError, ValueError, TypeError):
                problems.append(_problem("cron.timezone", f"is not a known time zone: {zone!r}"))
    streams = raw.get("streams")
    if streams is not None:
        if not isinstance(streams, dict):
            problems.append(_problem("streams", f'must be an object like {{"maxPending": 1000}}, got {streams!r}'))
        else:
            for key in sorted(set(streams) - {"maxPending"}):
                problems.append(_problem(f"streams.{key}", "is not a known field (maxPending)"))
            pending = streams.get("maxPending", 1000)
            if not isinstance(pending, int) or isinstance(pending, bool) or pending < 1:
                problems.append(_problem("streams.maxPending", f"must be a positive whole number, got {pending!r}"))
            else:
                settings = replace(settings, stream_max_pending=pending)
    env = raw.get("env")
    if env is not None:
        allow = env.get("allow") if isinstance(env, dict) else None
        if not isinstance(env, dict) or set(env) - {"allow"}:
            problems.append(_problem("env", f'must be an object like {{"allow": ["API_*"]}}, got {env!r}'))
        elif not isinstance(allow, list) or not all(isinstance(a, str) and a for a in allow):
            problems.append(_problem("env.allow", f"must be a list of variable names or patterns, got {allow!r}"))
        else:
            settings = replace(settings, env_allow=tuple(allow))
    limits = raw.get("limits")
    if limits is not None:
        ram = limits.get("ram", 2048) if isinstance(limits, dict) else None
        pids = limits.get("pids", 1024) if isinstance(limits, dict) else None
        timeout = limits.get("timeout") if isinstance(limits, dict) else None
        if not isinstance(limits, dict) or set(limits) - {"ram", "pids", "timeout"}:
            problems.append(
                _problem(
                    "limits", f'must be an object like {{"ram": 1024, "pids": 512, "timeout": 30}}, got {limits!r}'
                )
            )
        elif timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 1 <= timeout <= 900
        ):
            problems.append(_problem("limits.timeout", f"must be seconds within 1..900, or null, got {timeout!r}"))
        elif ram is not None and (not isinstance(ram, int) or isinstance(ram, bool) or not 128 <= ram <= 10240):
            problems.append(_problem("limits.ram", f"must be megabytes within 128..10240, or null, got {ram!r}"))
        elif pids is not None and (not isinstance(pids, int) or isinstance(pids, bool) or pids < 32):
            problems.append(_problem("limits.pids", f"must be a whole number >= 32, or null, got {pids!r}"))
        else:
            settings = replace(
                settings,
                default_ram_mb=ram,
                default_pids=pids,
                default_timeout_s=float(timeout) if timeout is not None else None,
            )
    redis = raw.get("redis")
    if redis is not None:
        parsed_redis = _parse_redis(redis, problems)
        if parsed_redis is not None:
            settings = replace(settings, redis=parsed_redis)
    isolation = raw.get("isolation")
    if isolation is not None:
        parsed = _parse_isolation(isolation, problems)
        if parsed is not None:
            settings = replace(settings, isolation=parsed)
    return settings, problems


def _parse_retry(raw: Any, problems: list[ConfigProblem]) -> RetryPolicy:
    """`retry: {baseDelay, maxDelay, factor, jitter}` (seconds): the backoff between event attempts."""
    policy = RetryPolicy()
    if raw is None:
        return policy
    if not isinstance(raw, dict):
        problems.append(_problem("retry", f"must be an object, got {raw!r}"))
        return policy
    fields = {"baseDelay": "base_delay_s", "maxDelay": "max_delay_s", "factor": "factor", "jitter": "jitter"}
    for key in sorted(set(raw) - set(fields)):
        problems.append(_problem(f"retry.{key}", f"is not a known field ({', '.join(sorted(fields))})"))
    for key, attr in fields.items():
        if key not in raw:
            continue
        value = raw[key]
        limit_ok = key != "jitter" or (isinstance(value, (int, float)) and value <= 1)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not limit_ok:
            bound = "between 0 and 1" if key == "jitter" else "a number >= 0"
            problems.append(_problem(f"retry.{key}", f"must be {bound}, got {value!r}"))
            continue
        policy = replace(policy, **{attr: float(value)})
    return policy


_ISOLATION_EXAMPLE = '{"network": false, "user": "nobody", "filesystem": "readonly"}'


def _parse_isolation(raw: Any, problems: list[ConfigProblem]) -> Isolation | None:
    if not isinstance(raw, dict) or set(raw) - {"network", "user", "filesystem"}:
        problems.append(_problem("isolation", f"must be an object like {_ISOLATION_EXAMPLE}, got {raw!r}"))
        return None
    network, user, filesystem = raw.get("network", True), raw.get("user"), raw.get("filesystem", "full")
    if not isinstance(network, bool):
        problems.append(_problem("isolation.network", f"must be a boolean, got {network!r}"))
    elif user is not None and (not isinstance(user, str) or not user):
        problems.append(_problem("isolation.user", f"must be a user name, got {user!r}"))
    elif filesystem not in ("full", "readonly"):
        problems.append(_problem("isolation.filesystem", f'must be "full" or "readonly", got {filesystem!r}'))
    else:
        return Isolation(network=network, user=user, read_only_fs=filesystem == "readonly")
    return None


def _parse_redis(raw: Any, problems: list[ConfigProblem]) -> dict[str, str] | None:
    example = '{"url": "redis://127.0.0.1:6379/0", "prefix": "myapp"}'
    if not isinstance(raw, dict) or set(raw) - {"url", "prefix"} or "url" not in raw:
        problems.append(_problem("redis", f"must be an object like {example}, got {raw!r}"))
        return None
    url, prefix = raw["url"], raw.get("prefix", "stephost")
    if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
        problems.append(_problem("redis.url", f"must be a redis://, rediss:// or unix:// URL, got {url!r}"))
        return None
    if not isinstance(prefix, str) or not prefix or ":" in prefix:
        problems.append(_problem("redis.prefix", f"must be a non-empty name without ':', got {prefix!r}"))
        return None
    return {"url": url, "prefix": prefix}
