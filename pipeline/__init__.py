"""litellm-usage: LiteLLM usage and spend data into a local DuckDB analytical store."""
