"""Who is acting and from which address, for the audit writer, without passing `request` through every service.

`AuditContextMiddleware` opens a context per HTTP request; Celery tasks and management commands run outside one,
so their events carry no address (and no actor unless the service names one). Context variables follow threads and
asyncio tasks, so concurrent requests never see each other's context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditContext:
    ip_address: str | None
    # Read late: DRF authenticates a token only when the view runs, after the middleware has opened the context.
    actor_getter: Callable[[], Any] | None = None

    @property
    def actor(self) -> Any:
        return self.actor_getter() if self.actor_getter is not None else None


_current: ContextVar[AuditContext | None] = ContextVar("dermreview_audit_context", default=None)


def current_audit_context() -> AuditContext | None:
    return _current.get()


@contextmanager
def audit_context(*, ip_address: str | None, actor_getter: Callable[[], Any] | None = None) -> Iterator[AuditContext]:
    """Events written inside the block record this address (and this actor, where the caller names none)."""
    context = AuditContext(ip_address=ip_address, actor_getter=actor_getter)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
