"""Memoize ``async def`` functions under asyncio and trio: a drop-in async-lru on anyio."""

from ._flight import CacheClosedError as CacheClosedError
from ._wrapper import AlruCacheLoopResetWarning as AlruCacheLoopResetWarning

# The classes of a decorated function and of its bound form, importable from the
# package as with async-lru, for annotations and isinstance().
from ._wrapper import _LRUCacheWrapper as _LRUCacheWrapper  # pyright: ignore[reportPrivateUsage]
from ._wrapper import (
    _LRUCacheWrapperInstanceMethod as _LRUCacheWrapperInstanceMethod,  # pyright: ignore[reportPrivateUsage]
)
from ._wrapper import alru_cache as alru_cache

__version__ = "1.1.0"

__all__ = ("AlruCacheLoopResetWarning", "CacheClosedError", "__version__", "alru_cache")
