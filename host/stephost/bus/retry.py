"""Retry timing as a pure function: exponential backoff, bounded, with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Delay before attempt n+1 = min(max_delay, base * factor**(n-1)), scaled by a jitter in [1-j, 1]."""

    base_delay_s: float = 1.0
    factor: float = 2.0
    max_delay_s: float = 60.0
    jitter: float = 0.25

    def delay_after(self, attempt: int, rand: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        raw = min(self.max_delay_s, self.base_delay_s * self.factor ** max(0, attempt - 1))
        r = random.random() if rand is None else rand
        return raw * (1 - self.jitter * r)
