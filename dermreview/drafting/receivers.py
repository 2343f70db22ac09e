"""Drafting's answers to what the apps below it announce (connected in `DraftingConfig.ready`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dermreview.drafting.services.queueing import drafts_create_for_images

if TYPE_CHECKING:
    from dermreview.cases.models import LesionImage


def drafts_queue_for_stored_images(sender: Any, *, images: Sequence[LesionImage], **kwargs: Any) -> None:
    """`cases.signals.images_stored`: one queued draft per new photo, written in the upload's transaction."""
    drafts_create_for_images(images=images)
