"""What a reviewer holds: their unexpired claims, for the queue's "Release all my claims"."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dermreview.cases.models import Case


def claims_held(*, user: Any) -> int:
    """How many cases of `user`'s organisation `user` holds an unexpired claim on."""
    return Case.objects.visible_to(user).filter(claimed_by=user, claim_expires_at__gt=timezone.now()).count()
