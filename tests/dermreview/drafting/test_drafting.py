"""Queueing drafts, the model identity they record, and the kill switch (web tier: no worker, no torch)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import Draft, DraftingControl, DraftStatus
from dermreview.drafting.services.identity import model_identity
from dermreview.drafting.services.queueing import (
    drafting_set_enabled,
    drafts_create_for_images,
    drafts_requeue,
)
from inference_worker import PROMPT_VERSION
from tests.factories import DraftFactory, LesionImageFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sent_draft_ids(callbacks: list[Any]) -> list[int]:
    """The draft ids whose `draft_generate` message waits for the commit (the on_commit callbacks)."""
    ids = []
    for callback in callbacks:
        # drafts_send registers functools.partial(_send, draft_id)
        args = getattr(callback, "args", ())
        ids.append(args[0])
    return ids


def test_drafts_create_for_images_queues_one_draft_per_image_after_commit(
    alice_case: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    images = LesionImageFactory.create_batch(2, case=alice_case, uploaded_by=alice_case.created_by)
    with django_capture_on_commit_callbacks() as callbacks:
        drafts = drafts_create_for_images(images=images)
    assert [d.image_id for d in drafts] == [i.pk for i in images]
    identity = model_identity()
    for draft in drafts:
        draft.refresh_from_db()
        assert draft.status == DraftStatus.QUEUED
        assert draft.queued_at is not None
        assert (draft.model_id, draft.model_revision, draft.prompt_version) == (
            identity.model_id, identity.model_revision, PROMPT_VERSION)
    assert sorted(_sent_draft_ids(callbacks)) == sorted(d.pk for d in drafts)


def test_drafts_create_for_images_twice_keeps_one_draft_and_sends_once(
    alice_image: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as first:
        [draft] = drafts_create_for_images(images=[alice_image])
    with django_capture_on_commit_callbacks() as second:
        [again] = drafts_create_for_images(images=[alice_image])
    assert again.pk == draft.pk
    assert Draft.objects.filter(image=alice_image).count() == 1
    assert len(first) == 1 and len(second) == 0


def test_drafts_create_for_images_sends_nothing_while_paused(
    alice_image: Any, settings: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DERMREVIEW_DRAFTING_ENABLED = False
    with django_capture_on_commit_callbacks() as callbacks:
        [draft] = drafts_create_for_images(images=[alice_image])
    assert draft.status == DraftStatus.QUEUED
    assert callbacks == []


def test_drafting_set_enabled_requires_an_admin_and_a_reason(alice: Any, clinic: Any) -> None:
    admin = UserFactory(organisation=clinic, roles=["admin"])
    with pytest.raises(PermissionDenied):
        drafting_set_enabled(enabled=False, user=alice, reason="because")
    with pytest.raises(ValidationError, match="reason"):
        drafting_set_enabled(enabled=False, user=admin, reason="   ")
    assert DraftingControl.current().enabled
    assert not AuditEvent.objects.filter(action="drafting.kill_switch").exists()


def test_drafting_set_enabled_records_who_and_why_and_audits(clinic: Any) -> None:
    admin = UserFactory(organisation=clinic, roles=["admin"])
    control = drafting_set_enabled(enabled=False, user=admin, reason="Model recall notice")
    assert not control.enabled and control.changed_by == admin and control.reason == "Model recall notice"
    assert not DraftingControl.drafting_allowed()
    event = AuditEvent.objects.get(action="drafting.kill_switch")
    assert event.actor == admin
    assert event.details["enabled"] is False and event.details["reason"] == "Model recall notice"


def test_drafting_set_enabled_on_sends_the_backlog(
    clinic: Any, alice_case: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    admin = UserFactory(organisation=clinic, roles=["admin"])
    drafting_set_enabled(enabled=False, user=admin, reason="pause")
    images = LesionImageFactory.create_batch(3, case=alice_case, uploaded_by=alice_case.created_by)
    with django_capture_on_commit_callbacks() as during_pause:
        drafts = drafts_create_for_images(images=images)
    assert during_pause == []
    with django_capture_on_commit_callbacks() as on_resume:
        drafting_set_enabled(enabled=True, user=admin, reason="resume")
    assert sorted(_sent_draft_ids(on_resume)) == sorted(d.pk for d in drafts)


def test_drafts_requeue_gives_failed_drafts_fresh_attempts_only(
    clinic: Any, alice_case: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    admin = UserFactory(organisation=clinic, roles=["admin"])
    failed = DraftFactory(image__case=alice_case, status=DraftStatus.FAILED, failure_kind="attempts_exhausted",
                          attempts=5)
    ready = DraftFactory(image__case=alice_case)
    with django_capture_on_commit_callbacks() as callbacks:
        assert drafts_requeue(draft_ids=[failed.pk, ready.pk], user=admin) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.failure_kind) == (DraftStatus.QUEUED, 0, "")
    assert _sent_draft_ids(callbacks) == [failed.pk]
    assert AuditEvent.objects.filter(action="draft.requeue", object_id=str(failed.pk)).exists()
    ready.refresh_from_db()
    assert ready.status == DraftStatus.READY
