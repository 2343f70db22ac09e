"""Writing audit events. Every part of DermReview records through `audit_log` and nothing else."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from dermreview.audit.context import current_audit_context
from dermreview.audit.models import AuditEvent
from dermreview.audit.models.audit_event import GENESIS_HASH

# Any constant works; it names the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x0DE2A0D17


# "Not given" differs from None: a service that names no actor inside a request records the request's user, while
# an explicit None (a login failure, a worker) records no one.
_UNSET: Any = object()


def audit_log(
    *,
    action: str,
    actor: Any = _UNSET,
    obj: models.Model | None = None,
    organisation: Any = None,
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the hash chain.

    Call it inside the transaction of the change it records, so the event and the change commit or roll back
    together. `actor` may be None for system actions (workers, the reconciler). The client address, and the actor
    when none is named, come from the audit context that `AuditContextMiddleware` opens for each request.
    """
    context = current_audit_context()
    if actor is _UNSET:
        actor = context.actor if context is not None else None
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if organisation is None:
        organisation = getattr(obj, "organisation", None) or getattr(actor, "organisation", None)
    if case_id is None and obj is not None:
        case_id = _case_id_of(obj)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-sequence").only("sequence", "hash").first()
        event = AuditEvent(
            sequence=(last.sequence + 1) if last else 1,
            created_at=timezone.now(),
            actor=actor,
            actor_username=getattr(actor, "username", "") if actor else "",
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            organisation=organisation,
            case_id=case_id,
            ip_address=context.ip_address if context is not None else None,
            details=details or {},
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        # Round-trip the JSON so the hash is computed over exactly what the database will return.
        event.details = _json_roundtrip(event.details)
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


def _case_id_of(obj: models.Model) -> int | None:
    label = obj._meta.label_lower
    if label == "cases.case":
        return obj.pk
    for attr in ("case_id",):
        value = getattr(obj, attr, None)
        if value is not None:
            return value
    image = getattr(obj, "image", None)
    return getattr(image, "case_id", None)


def _json_roundtrip(details: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(details, default=str))
