"""What the command line asked of a host, merged over the project's stephost.json."""

from __future__ import annotations

import socket
from dataclasses import dataclass, replace
from pathlib import Path

from stephost.errors import PortInUse
from stephost.http.http_settings import HttpSettings
from stephost.settings import ProjectSettings

DEFAULT_API_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class HostSettings:
    """What the command line asked for; None means: as the project's stephost.json says."""

    project: Path
    port: int = 3000
    bind: str = "0.0.0.0"
    mode: str = "dev"  # dev | start
    body_limit: int | None = None
    emit_endpoint: bool | None = None
    admin_api: bool | None = None
    workbench: bool | None = None
    cors_origins: tuple[str, ...] | None = None
    cors_enabled: bool | None = None
    # Where the embedded default keeps its files; `<project>/.stephost` unless given.
    data_dir: Path | None = None
    # "sqlite" or "memory"; None: Redis if a URL is configured anywhere, else SQLite (storage.py).
    storage: str | None = None
    redis_url: str | None = None
    redis_prefix: str | None = None

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir or self.project / ".stephost"

    def http_settings(self, project: ProjectSettings) -> HttpSettings:
        cors = project.cors
        if self.cors_origins:
            cors = replace(cors, enabled=True, origins=self.cors_origins)
        if self.cors_enabled is not None:
            cors = replace(cors, enabled=self.cors_enabled)
        emit = self.emit_endpoint if self.emit_endpoint is not None else project.emit_endpoint
        return HttpSettings(
            dev=self.mode == "dev",
            body_limit=self.body_limit or project.body_limit,
            cors=cors,
            emit_endpoint=emit if emit is not None else self.mode == "dev",
            admin_api=self.admin_api if self.admin_api is not None else self.mode == "dev",
            stream_client_max_pending=project.stream_max_pending,
            api_timeout_s=project.default_timeout_s or DEFAULT_API_TIMEOUT_S,
        )


def check_port_free(bind: str, port: int) -> None:
    """Fail before any worker starts when the port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bind, port))
        except OSError as exc:
            raise PortInUse(f"port {port} on {bind} is already in use ({exc.strerror})") from exc
