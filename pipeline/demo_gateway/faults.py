"""Opt-in fault injection state: per gateway instance, reset whenever the FaultConfig is replaced."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pipeline.demo_gateway.config import FaultConfig

ERROR_ROTATION = (500, 502, 503)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    status: int | None = None
    retry_after: str | None = None
    drop: bool = False
    truncate: bool = False
    delay_s: float = 0.0


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


class FaultState:
    """Counts requests (on the configured paths) and decides which fault, if any, applies to each."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._count = 0
        self._burst_sent = 0

    def decide(self, path: str) -> FaultDecision:
        c = self.config
        if c.paths and path not in c.paths:
            return FaultDecision()
        with self._lock:
            if self._burst_sent < c.server_error_burst:
                status = ERROR_ROTATION[self._burst_sent % len(ERROR_ROTATION)]
                self._burst_sent += 1
                return FaultDecision(status=status)
            self._count += 1
            n = self._count

        def hit(every: int) -> bool:
            return every > 0 and n % every == 0

        if hit(c.rate_limit_every):
            return FaultDecision(status=429, retry_after=_retry_after(c.retry_after_s))
        if hit(c.drop_every):
            return FaultDecision(drop=True)
        return FaultDecision(
            truncate=hit(c.truncate_every),
            delay_s=c.slow_seconds if hit(c.slow_every) else 0.0,
        )
