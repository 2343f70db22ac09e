"""The pause rule: a clinic drafts only with its approved model version; approving resumes what waited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from dermreview.drafting.models import Draft, DraftStatus
from dermreview.drafting.services.gating import drafting_allowed, paused_organisation_ids
from dermreview.drafting.services.identity import model_identity
from dermreview.drafting.services.queueing import drafts_create_for_images
from dermreview.drafting.services.reconcile import drafts_reconcile
from dermreview.drafting.services.worker import draft_claim, drafts_generate_batch
from dermreview.governance.services.approval import model_version_approve
from dermreview.governance.services.versions import model_version_register
from inference_worker import WorkerConfig
from tests.dermreview.governance.conftest import candidate_version
from tests.factories import CaseFactory, LesionImageFactory

pytestmark = pytest.mark.django_db


def _sent(callbacks: list[Any]) -> list[int]:
    """The draft ids whose `draft_generate` message waits for the commit (drafts_send's on_commit partials)."""
    return [callback.args[0] for callback in callbacks if getattr(callback, "args", ())]


@pytest.fixture
def changed_model(default_version: Any, settings: Any) -> WorkerConfig:
    """DERMREVIEW_MODEL changed after the installation's default was approved, with no approval for the new one."""
    cfg = WorkerConfig(model="org/changed-model", model_revision="feed42")
    settings.DERMREVIEW_WORKER_CONFIG = cfg
    return cfg


def test_changed_model_pauses_drafting_and_drafts_wait_queued(
    changed_model: WorkerConfig, clinic: Any, other_clinic: Any, alice: Any, client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert not drafting_allowed(clinic.pk) and drafting_allowed()  # the installation-wide switches are on
    assert paused_organisation_ids() == {clinic.pk, other_clinic.pk}
    images = LesionImageFactory.create_batch(2, case=CaseFactory(organisation=clinic, created_by=alice))
    with django_capture_on_commit_callbacks() as sent:
        drafts = drafts_create_for_images(images=images)
    assert _sent(sent) == []  # created, not sent
    assert draft_claim(draft_id=drafts[0].pk, claim_token="run", identity=model_identity()) == []
    outcome = drafts_generate_batch(draft_id=drafts[0].pk, claim_token="run", cfg=changed_model)
    assert outcome.skipped_reason == "drafting is paused for this clinic"
    assert drafts_reconcile().resent == 0
    assert set(Draft.objects.values_list("status", flat=True)) == {DraftStatus.QUEUED}
    # Everyone of the clinic sees why: the banner, and the case page's manual-entry message.
    page = client_for(alice).get(reverse("cases:detail", args=[images[0].case_id])).content.decode()
    assert "AI drafting is paused: the configured model org/changed-model @ feed42" in page
    assert "an administrator must evaluate and approve it on the governance page" in page
    assert "AI drafting is paused — review by manual entry" in page


def test_approving_the_configured_model_resumes_the_clinic_and_sends_its_backlog(
    changed_model: WorkerConfig, clinic: Any, other_clinic: Any, adam: Any, alice: Any, settings: Any,
    finished_run: Callable[..., Any], client_for: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DERMREVIEW_GATE_MIN_CASES = 5
    waiting = drafts_create_for_images(images=LesionImageFactory.create_batch(
        2, case=CaseFactory(organisation=clinic, created_by=alice)))
    theirs = drafts_create_for_images(images=[LesionImageFactory(case=CaseFactory(organisation=other_clinic))])
    candidate = model_version_register(user=adam, organisation=clinic, model="org/changed-model",
                                       model_revision="feed42")
    run = finished_run(candidate, clinic, cases=5)
    with django_capture_on_commit_callbacks() as sent:
        model_version_approve(version=candidate, run=run, user=adam)
    assert sorted(_sent(sent)) == sorted(d.pk for d in waiting)  # this clinic's drafts, nobody else's
    assert drafting_allowed(clinic.pk) and not drafting_allowed(other_clinic.pk)
    assert paused_organisation_ids() == {other_clinic.pk}
    assert draft_claim(draft_id=waiting[0].pk, claim_token="run", identity=model_identity()) == [waiting[0].pk]
    assert draft_claim(draft_id=theirs[0].pk, claim_token="run-2", identity=model_identity()) == []
    page = client_for(alice).get(reverse("cases:list")).content.decode()
    assert "AI drafting is paused" not in page


def test_a_clinic_version_other_than_the_configured_model_pauses_only_that_clinic(
    default_version: Any, clinic: Any, other_clinic: Any,
) -> None:
    candidate_version(clinic, status="active")  # the clinic approved a model the workers do not run
    assert paused_organisation_ids() == {clinic.pk}
    assert not drafting_allowed(clinic.pk) and drafting_allowed(other_clinic.pk)


def test_the_banner_is_not_shown_while_the_configured_model_is_approved(
    default_version: Any, alice: Any, client_for: Any,
) -> None:
    assert "AI drafting is paused" not in client_for(alice).get(reverse("cases:list")).content.decode()


def test_governance_page_says_drafting_is_off_while_the_configured_model_is_not_approved(
    changed_model: WorkerConfig, adam: Any, client_for: Any,
) -> None:
    html = client_for(adam).get(reverse("oversight:governance")).content.decode()
    assert "AI drafting is OFF" in html and "not this clinic's approved version" in html
    assert 'id="version-state">AI drafting is paused: the configured model org/changed-model @ feed42' in html
