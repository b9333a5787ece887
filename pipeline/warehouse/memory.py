"""Return freed heap memory to the operating system before a memory-hungry bulk load."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from functools import cache

log = logging.getLogger(__name__)


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Collect garbage and ask glibc to hand freed pages back (``malloc_trim``); a no-op elsewhere.

    Extraction buffers many large page bodies on worker threads; glibc keeps that freed memory in its
    per-thread arenas, which would otherwise add to DuckDB's own memory during the load that follows.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    released = bool(trim(0))
    log.debug("malloc_trim released memory: %s", released)
    return released
