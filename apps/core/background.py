"""Small in-process thread pools for work that may run beside a request or a job (created on first use)."""
from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor

_pools: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A pool whose tasks run in a copy of the submitter's context variables: the log context (request id)
    and the active trace span follow the work onto the pool's threads."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def background_pool(name: str, *, workers: int) -> ThreadPoolExecutor:
    """The process's pool called `name` (its threads are named after it), created on first use."""
    with _lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ContextThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        return pool
