"""SQL fragments shared by the query functions (identifiers only; values always go through ``?``)."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.metrics import METRICS


def summed(columns: Sequence[str] = METRICS) -> str:
    """``sum(col)`` per metric, typed DOUBLE for spend and BIGINT for counts (never DECIMAL/HUGEINT)."""
    return ", ".join(
        f"coalesce(sum({c}), 0)::{'DOUBLE' if c == 'spend' else 'BIGINT'} AS {c}" for c in columns
    )


SUCCESS_RATE = "successful_requests::DOUBLE / nullif(api_requests, 0) AS success_rate"


class Where:
    """Collects WHERE conditions and their parameters in order."""

    def __init__(self, condition: str, *params: object) -> None:
        self.conditions = [condition]
        self.params: list[object] = list(params)

    def add_in(self, column: str, values: Sequence[str] | None) -> Where:
        """``column`` is one of ``values`` (no-op for None)."""
        if values is not None:
            self.conditions.append(f"list_contains(?::VARCHAR[], {column})")
            self.params.append(list(values))
        return self

    def sql(self) -> str:
        return "WHERE " + " AND ".join(self.conditions)
