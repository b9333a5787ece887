"""The metric columns every staging and mart table shares: the warehouse's naming contract."""

from __future__ import annotations

INTEGER_METRICS: tuple[str, ...] = (
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "total_tokens",
    "api_requests",
    "successful_requests",
    "failed_requests",
)
"""Token and request counts (``BIGINT``)."""
METRICS: tuple[str, ...] = ("spend", *INTEGER_METRICS)
"""``spend`` (USD, ``DOUBLE``) followed by the integer metrics."""
