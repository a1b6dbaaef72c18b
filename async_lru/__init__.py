"""Memoize ``async def`` functions under asyncio and trio: a drop-in async-lru on anyio."""

from ._flight import CacheClosedError as CacheClosedError
from ._wrapper import AlruCacheLoopResetWarning as AlruCacheLoopResetWarning
from ._wrapper import alru_cache as alru_cache

__version__ = "1.1.0"

__all__ = ("AlruCacheLoopResetWarning", "CacheClosedError", "__version__", "alru_cache")
