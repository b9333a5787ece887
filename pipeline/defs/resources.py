"""Resources: thin factories for the LiteLLM client and the warehouse's single-writer connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import httpx
from pydantic import Field

from pipeline.litellm.client import LiteLLMClient
from pipeline.litellm.config import LiteLLMConfig
from pipeline.paths import warehouse_path


class LiteLLMResource(dg.ConfigurableResource):
    """The LiteLLM proxy; builds a plain `LiteLLMClient` per step (paging and retries live there)."""

    base_url: str = Field(description="LiteLLM proxy URL (LITELLM_BASE_URL).")
    api_key: str = Field(description="LiteLLM admin or viewer key (LITELLM_API_KEY); never logged.")
    timeout_seconds: float | None = Field(
        default=None, description="Per-request timeout; client default if unset."
    )
    page_size: int | None = Field(
        default=None, description="Daily-activity page size; client default if unset."
    )
    spend_logs_page_size: int | None = Field(default=None, description="Spend-log page size (max 1000).")
    max_concurrency: int | None = Field(
        default=None, description="Requests in flight; client default if unset."
    )

    def config(self) -> LiteLLMConfig:
        overrides: dict[str, Any] = {
            name: value
            for name, value in (
                ("timeout_seconds", self.timeout_seconds),
                ("page_size", self.page_size),
                ("spend_logs_page_size", self.spend_logs_page_size),
                ("max_concurrency", self.max_concurrency),
            )
            if value is not None
        }
        if self.timeout_seconds is not None:
            overrides["connect_timeout_seconds"] = min(10.0, self.timeout_seconds)
        return LiteLLMConfig(base_url=self.base_url, api_key=self.api_key, **overrides)

    def _transport(self) -> httpx.BaseTransport | None:
        """Hook for tests (return an ``httpx.MockTransport``); ``None`` lets the client build its own."""
        return None

    def get_client(self) -> LiteLLMClient:
        """A new client; use it as a context manager so its connections are closed."""
        return LiteLLMClient(self.config(), transport=self._transport())


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file; every write goes through the single-writer `write_connection`."""

    path: str | None = Field(
        default=None,
        description="DuckDB file; default $LITELLM_USAGE_DB or data/usage.duckdb (read at run time).",
    )

    def db_path(self) -> Path:
        return Path(self.path) if self.path else warehouse_path()

    @contextmanager
    def write_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The file lock, then a read-write connection; always closed."""
        from pipeline.warehouse.connection import write_connection

        with write_connection(self.db_path()) as conn:
            yield conn


@dg.definitions
def defs() -> dg.Definitions:
    """Resources bound by key: ``litellm`` (EnvVars, resolved at run time) and ``warehouse``."""
    return dg.Definitions(
        resources={
            "litellm": LiteLLMResource(
                base_url=dg.EnvVar("LITELLM_BASE_URL"), api_key=dg.EnvVar("LITELLM_API_KEY")
            ),
            "warehouse": WarehouseResource(),
        }
    )
