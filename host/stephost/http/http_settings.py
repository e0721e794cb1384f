"""What the HTTP side is set up with. Its own module, without Quart or Hypercorn, so that
reading the settings does not load the HTTP stack (the host loads that while its workers
start; see `stephost.app`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from stephost.settings import CorsSettings


@dataclass(frozen=True)
class HttpSettings:
    dev: bool = True
    body_limit: int = 10 * 1024 * 1024
    cors: CorsSettings = field(default_factory=CorsSettings)
    emit_endpoint: bool = True
    # /__stephost/dlq...: event data and stacks, so on in dev and opt-in in start.
    admin_api: bool = True
    # A stream client this many messages behind is disconnected.
    stream_client_max_pending: int = 1000
    # For api steps that set no infrastructure.handler.timeout.
    api_timeout_s: float = 30.0
