"""How much drafting work is waiting, for the governance page and the case page's queue position."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count

from dermreview.drafting.models import Draft, DraftStatus

logger = logging.getLogger(__name__)

GPU_QUEUE = "gpu"
# kombu's Redis transport keeps one list per priority step; unprioritised messages sit in the plain queue name.
_REDIS_PRIORITY_SEPARATOR = "\x06\x16"
_REDIS_PRIORITY_STEPS = (3, 6, 9)


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queued: int  # drafts waiting in the database (the source of truth)
    running: int  # drafts a worker holds now
    broker: int | None  # messages waiting in the broker's gpu queue; None when the broker cannot say


def queue_depth() -> QueueDepth:
    """Queued and running drafts (from the database) and the broker's gpu queue length (Redis or filesystem)."""
    counts = dict(
        Draft.objects.filter(status__in=[DraftStatus.QUEUED, DraftStatus.RUNNING])
        .values_list("status").annotate(n=Count("pk")).order_by()
    )
    return QueueDepth(queued=counts.get(DraftStatus.QUEUED, 0), running=counts.get(DraftStatus.RUNNING, 0),
                      broker=broker_queue_length(GPU_QUEUE))


def broker_queue_length(queue: str = GPU_QUEUE) -> int | None:
    """Messages waiting (not yet delivered) in `queue`, or None when the broker is unreachable or opaque."""
    url = settings.CELERY_BROKER_URL
    scheme = url.split("://", 1)[0]
    try:
        if scheme in {"redis", "rediss"}:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            try:
                names = [queue] + [f"{queue}{_REDIS_PRIORITY_SEPARATOR}{step}" for step in _REDIS_PRIORITY_STEPS]
                with client.pipeline(transaction=False) as pipe:
                    for name in names:
                        pipe.llen(name)
                    return int(sum(pipe.execute()))
            finally:
                client.close()
        if scheme == "filesystem":
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            # kombu names each message file "<time>_<uuid>.<queue>.msg".
            return sum(1 for _ in folder.glob(f"*.{queue}.msg"))
    except Exception as exc:  # noqa: BLE001 - a broken broker must not break the page that reports on it
        logger.warning("could not read the %s queue length from the broker: %s", queue, exc)
    return None


def queue_positions(*, drafts: list[Draft]) -> dict[int, int]:
    """For each queued draft, how many queued drafts (of every organisation) a worker will take before it.

    Global, because the workers serve every organisation first come, first served; only a count is revealed.
    """
    positions: dict[int, int] = {}
    for draft in drafts:
        if draft.status != DraftStatus.QUEUED or draft.queued_at is None:
            continue
        ahead = Draft.objects.filter(status=DraftStatus.QUEUED, queued_at__lt=draft.queued_at).count()
        ahead += Draft.objects.filter(status=DraftStatus.QUEUED, queued_at=draft.queued_at, pk__lt=draft.pk).count()
        positions[draft.pk] = ahead
    return positions
