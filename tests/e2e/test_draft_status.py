"""The case page follows a draft from queued to ready without a reload (static/js/draft_status.js)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dermreview.drafting.models import Draft, DraftStatus
from dermreview.drafting.services.identity import model_identity
from tests.factories import SAMPLE_FINDING, DraftFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_case_page_shows_draft_progress_live(page: Any, login: Any, bob: Any, alice_image: Any) -> None:
    identity = model_identity()
    draft = DraftFactory(image=alice_image, status=DraftStatus.QUEUED, queued_at=timezone.now(),
                         model_id=identity.model_id, model_revision=identity.model_revision,
                         prompt_version=identity.prompt_version, lesion_type="", color="", symmetry="", borders="",
                         texture="", summary="")
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    # (the browser's own /favicon.ico request 404s: not this page's problem)
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    login(bob)
    page.goto(f"/cases/{alice_image.case_id}/")
    badge = page.locator(f"#image-draft-{alice_image.pk} [data-role=badge]")
    assert badge.text_content().strip() == "Queued"
    assert "Next in the queue" in page.locator(f"#image-draft-{alice_image.pk}").text_content()
    page.evaluate("window.__sameDocument = true")

    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.RUNNING, started_at=timezone.now())
    expect(badge).to_have_text("Running", timeout=10_000)  # the page polls every 2 s

    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.READY, finished_at=timezone.now(), **SAMPLE_FINDING)
    box = page.locator(f"#image-draft-{alice_image.pk} .ai-draft")
    box.wait_for(timeout=10_000)
    assert "Unreviewed AI draft — not a diagnosis" in box.text_content()
    assert SAMPLE_FINDING["summary"] in box.text_content()
    assert page.evaluate("window.__sameDocument") is True, "the page must not reload"
    assert problems == []
