"""Small in-process thread pools for work that may run beside a request or a job (created on first use)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_pools: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def background_pool(name: str, *, workers: int) -> ThreadPoolExecutor:
    """The process's pool called `name` (its threads are named after it), created on first use."""
    with _lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        return pool
