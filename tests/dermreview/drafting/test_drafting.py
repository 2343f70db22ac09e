"""Queueing drafts, the model identity they record, and the kill switches (global and per clinic).

No worker process and no torch here: the worker's claims and the reconciler are called directly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import Draft, DraftingControl, DraftStatus
from dermreview.drafting.services import reconcile
from dermreview.drafting.services.identity import model_identity
from dermreview.drafting.services.queueing import (
    drafting_set_enabled,
    drafts_create_for_images,
    drafts_requeue,
)
from dermreview.drafting.services.worker import draft_claim, drafts_claim_more, drafts_generate_batch
from tests.factories import CaseFactory, DraftFactory, LesionImageFactory, UserFactory

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
    # The prompt version comes from the prompt profile (default `card`) and the decoding mode.
    cfg = settings.DERMREVIEW_WORKER_CONFIG
    prompt_version = cfg.profile.prompt_version_for(cfg.decoding)
    assert prompt_version.startswith("card@") and prompt_version.endswith("/schema")
    for draft in drafts:
        draft.refresh_from_db()
        assert draft.status == DraftStatus.QUEUED
        assert draft.queued_at is not None
        assert (draft.model_id, draft.model_revision, draft.prompt_version) == (
            identity.model_id, identity.model_revision, prompt_version)
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


# --- The kill switches: the installation's (operators) and each clinic's (its administrators) -------------------


def _queued_in(organisation: Any, n: int = 1, *, age_s: float = 10) -> list[Draft]:
    """Queued drafts for the configured model, in one case of `organisation`, oldest first."""
    identity = model_identity()
    case = CaseFactory(organisation=organisation)
    return [DraftFactory(image__case=case, status=DraftStatus.QUEUED, model_id=identity.model_id,
                         model_revision=identity.model_revision, prompt_version=identity.prompt_version,
                         queued_at=timezone.now() - timedelta(seconds=age_s - i), raw_output="")
            for i in range(n)]


def test_clinic_switch_needs_that_clinics_admin_and_a_reason(
    alice: Any, adam: Any, hana: Any, clinic: Any, other_clinic: Any,
) -> None:
    with pytest.raises(PermissionDenied):
        drafting_set_enabled(enabled=False, user=alice, reason="because", organisation=clinic)
    with pytest.raises(PermissionDenied, match="your own clinic"):
        drafting_set_enabled(enabled=False, user=hana, reason="sabotage", organisation=clinic)
    with pytest.raises(PermissionDenied, match="operators"):
        drafting_set_enabled(enabled=False, user=adam, reason="for everyone", organisation=None)
    with pytest.raises(ValidationError, match="reason"):
        drafting_set_enabled(enabled=False, user=adam, reason="   ", organisation=clinic)
    assert DraftingControl.drafting_allowed(clinic.pk) and DraftingControl.drafting_allowed(other_clinic.pk)
    assert not AuditEvent.objects.filter(action__startswith="drafting.kill_switch").exists()


def test_clinic_switch_off_pauses_only_that_clinic_and_is_audited_under_it(
    adam: Any, clinic: Any, other_clinic: Any,
) -> None:
    control = drafting_set_enabled(enabled=False, user=adam, reason="Model recall notice", organisation=clinic)

    assert (control.organisation, control.enabled, control.changed_by) == (clinic, False, adam)
    assert not DraftingControl.drafting_allowed(clinic.pk)
    assert DraftingControl.drafting_allowed(other_clinic.pk) and DraftingControl.drafting_allowed()
    [event] = AuditEvent.objects.filter(action__startswith="drafting.kill_switch")
    assert (event.action, event.organisation, event.actor) == ("drafting.kill_switch", clinic, adam)
    assert event.details["enabled"] is False and event.details["reason"] == "Model recall notice"


def test_global_switch_is_the_operators_and_is_audited_under_every_clinic(
    oscar: Any, clinic: Any, other_clinic: Any,
) -> None:
    drafting_set_enabled(enabled=False, user=oscar, reason="Vendor safety notice", organisation=None)

    assert not DraftingControl.drafting_allowed() and not DraftingControl.drafting_allowed(other_clinic.pk)
    assert DraftingControl.current().enabled is False
    events = AuditEvent.objects.filter(action="drafting.kill_switch.global")
    assert sorted(e.organisation_id for e in events) == sorted([clinic.pk, other_clinic.pk])
    assert {(e.actor_id, e.details["reason"], e.details["enabled"]) for e in events} == {
        (oscar.pk, "Vendor safety notice", False)}


def test_uploads_of_a_paused_clinic_are_not_sent_and_turning_it_on_sends_only_its_backlog(
    adam: Any, clinic: Any, other_clinic: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    drafting_set_enabled(enabled=False, user=adam, reason="pause", organisation=clinic)
    ours = LesionImageFactory.create_batch(2, case=CaseFactory(organisation=clinic))
    theirs = LesionImageFactory.create_batch(2, case=CaseFactory(organisation=other_clinic))
    with django_capture_on_commit_callbacks() as sent:
        paused = drafts_create_for_images(images=ours)
        running = drafts_create_for_images(images=theirs)
    assert sorted(_sent_draft_ids(sent)) == sorted(d.pk for d in running)

    with django_capture_on_commit_callbacks() as on_resume:
        drafting_set_enabled(enabled=True, user=adam, reason="resume", organisation=clinic)
    assert sorted(_sent_draft_ids(on_resume)) == sorted(d.pk for d in paused)


def test_global_switch_on_sends_the_backlog_of_clinics_not_paused_themselves(
    adam: Any, oscar: Any, clinic: Any, other_clinic: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    drafting_set_enabled(enabled=False, user=adam, reason="ours", organisation=clinic)
    drafting_set_enabled(enabled=False, user=oscar, reason="everyone", organisation=None)
    ours, theirs = _queued_in(clinic), _queued_in(other_clinic)
    with django_capture_on_commit_callbacks() as on_resume:
        drafting_set_enabled(enabled=True, user=oscar, reason="all clear", organisation=None)
    assert _sent_draft_ids(on_resume) == [theirs[0].pk]
    assert not DraftingControl.drafting_allowed(clinic.pk) and ours[0].status == DraftStatus.QUEUED


def test_worker_batch_skips_drafts_of_a_paused_clinic_and_claims_the_others(
    adam: Any, clinic: Any, other_clinic: Any,
) -> None:
    drafting_set_enabled(enabled=False, user=adam, reason="pause", organisation=clinic)
    ours, theirs = _queued_in(clinic, 2, age_s=30), _queued_in(other_clinic, 2)
    identity = model_identity()

    # A message for a paused clinic's draft claims nothing and leaves it queued.
    assert draft_claim(draft_id=ours[0].pk, claim_token="run-1", identity=identity) == []
    outcome = drafts_generate_batch(draft_id=ours[1].pk, claim_token="run-2")
    assert outcome.skipped_reason == "drafting is paused for this clinic" and outcome.claimed == []
    # A batch filling up from the queue passes over the paused clinic's older drafts.
    assert draft_claim(draft_id=theirs[0].pk, claim_token="run-3", identity=identity) == [theirs[0].pk]
    more = drafts_claim_more(claim_token="run-3", identity=identity, want=4, wait_ms=0, idle_ms=0)
    assert more == [d.pk for d in theirs]
    statuses = dict(Draft.objects.values_list("pk", "status"))
    assert [statuses[d.pk] for d in ours] == [DraftStatus.QUEUED] * 2
    assert [statuses[d.pk] for d in theirs] == [DraftStatus.RUNNING] * 2


def test_reconciler_resends_only_for_clinics_whose_drafting_is_on(
    adam: Any, clinic: Any, other_clinic: Any, settings: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DERMREVIEW_RECONCILE_QUEUED_AFTER_S = 0
    monkeypatch.setattr(reconcile, "broker_queue_length", lambda: None)  # the broker cannot tell
    drafting_set_enabled(enabled=False, user=adam, reason="pause", organisation=clinic)
    ours, theirs = _queued_in(clinic), _queued_in(other_clinic)
    with django_capture_on_commit_callbacks() as sent:
        report = reconcile.drafts_reconcile()
    assert _sent_draft_ids(sent) == [theirs[0].pk]
    assert (report.paused, report.clinics_paused, report.resent) == (False, 1, 1)
    assert Draft.objects.get(pk=ours[0].pk).status == DraftStatus.QUEUED


def test_case_page_says_paused_for_the_paused_clinic_only(
    adam: Any, clinic: Any, other_clinic: Any, client_for: Any, alice: Any,
) -> None:
    hilltop_clinician = UserFactory(organisation=other_clinic, roles=["clinician"])
    ours, theirs = _queued_in(clinic)[0], _queued_in(other_clinic)[0]
    drafting_set_enabled(enabled=False, user=adam, reason="pause", organisation=clinic)

    def paused(user: Any, draft: Draft) -> bool:
        url = reverse("drafting:draft_status", args=[draft.image.case_id])
        return client_for(user).get(url).json()["paused"]

    assert paused(alice, ours) is True
    assert paused(hilltop_clinician, theirs) is False


@pytest.mark.django_db(transaction=True)
def test_migration_makes_the_single_switch_the_global_one() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("drafting", "0001_initial")])
    old_apps = executor.loader.project_state([("drafting", "0001_initial")]).apps
    OldControl = old_apps.get_model("drafting", "DraftingControl")
    OldControl.objects.create(pk=1, enabled=False, reason="Switched off before the upgrade")
    OldControl.objects.create(pk=2, enabled=True, reason="a stray row nothing ever read")
    try:
        MigrationExecutor(connection).migrate([("drafting", "0002_drafting_control_per_clinic")])
        [control] = DraftingControl.objects.all()
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert (control.pk, control.organisation_id, control.enabled) == (1, None, False)
    assert control.reason == "Switched off before the upgrade"
    assert not DraftingControl.drafting_allowed()
