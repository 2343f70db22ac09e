"""The queue position reads as English: "1 photo ahead", "3 photos ahead"."""

from __future__ import annotations

import pytest

from dermreview.drafting.models import DraftStatus
from dermreview.drafting.selectors import _detail

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("position", "text"), [
    (0, "Next in the queue."), (1, "1 photo ahead in the queue."), (3, "3 photos ahead in the queue."),
])
def test_queue_position_is_pluralised(draft_factory, position, text):
    draft = draft_factory(status=DraftStatus.QUEUED)
    assert _detail(draft, paused=False, position=position, show_failure_message=False) == text
