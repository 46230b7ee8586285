"""Values `/metrics` reads at scrape time from the broker and the cache: Celery queue depth per queue and the
age of the relay's heartbeat. (Background jobs by status: `jobs.py`; the outbox lag: the events app.)"""
from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily, Metric

from .metrics import gauge, heartbeat_age

# Kombu's Redis transport keeps a queue's messages in a list named after it, and one more list per priority
# step (`<queue>\x06\x16<step>`) when priorities are used.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)


def queue_depths() -> dict[str, int] | None:
    """Messages waiting per Celery queue; None when the broker is not Redis."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in settings.CELERY_TASK_QUEUES_NAMES:
                pipe.llen(queue)
                for step in PRIORITY_STEPS:
                    pipe.llen(f"{queue}{PRIORITY_SEPARATOR}{step}")
            lengths = pipe.execute()
    finally:
        client.close()
    per_queue = 1 + len(PRIORITY_STEPS)
    return {queue: sum(lengths[i * per_queue:(i + 1) * per_queue])
            for i, queue in enumerate(settings.CELERY_TASK_QUEUES_NAMES)}


def queue_depth_metrics() -> Iterable[Metric]:
    depths = queue_depths()
    if depths is None:
        return
    family = GaugeMetricFamily("twin_celery_queue_depth", "Celery messages waiting, by queue.", labels=["queue"])
    for queue, depth in depths.items():
        family.add_metric([queue], depth)
    yield family


def relay_heartbeat_metrics() -> Iterable[Metric]:
    family = gauge("twin_relay_heartbeat_age_seconds", "Seconds since an outbox relay last said it was alive.",
                   heartbeat_age(name="relay"))
    if family is not None:
        yield family
