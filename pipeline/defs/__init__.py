"""Dagster definitions, auto-loaded by `pipeline.definitions` (one ``@dg.definitions`` per module)."""
