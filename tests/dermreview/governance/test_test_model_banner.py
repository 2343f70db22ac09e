"""Every page says so when this installation drafts with a test model (the demo model, or the random tiny one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from dermreview.drafting.models import Draft, DraftStatus
from dermreview.governance.context_processors import DEMO_MODEL_BANNER, TINY_MODEL_BANNER, _test_model_banner
from inference_worker import WorkerConfig
from inference_worker.identity import DEMO_MODEL_ID, TINY_MODEL_MARKER_FILE, TINY_MODEL_MARKER_KIND
from tests.factories import CaseFactory, LesionImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_banner_cache() -> Any:
    _test_model_banner.cache_clear()
    yield
    _test_model_banner.cache_clear()


def _model_dir(tmp_path: Path, **marker: str) -> Path:
    (tmp_path / TINY_MODEL_MARKER_FILE).write_text(json.dumps({"kind": TINY_MODEL_MARKER_KIND, **marker}))
    return tmp_path


@pytest.mark.parametrize(
    ("marker", "expected"),
    [({"variant": "demo-synthetic", "recipe": "abc123"}, DEMO_MODEL_BANNER), ({}, TINY_MODEL_BANNER)],
)
def test_test_model_banner_on_every_page(
    marker: dict[str, str], expected: str, tmp_path: Path, settings: Any, alice: Any, client_for: Any,
) -> None:
    settings.DERMREVIEW_WORKER_CONFIG = WorkerConfig(model=str(_model_dir(tmp_path, **marker)))
    page = client_for(alice).get(reverse("cases:list")).content.decode()
    assert expected in page and 'id="test-model-banner"' in page


def test_no_banner_for_a_real_model(settings: Any, alice: Any, client_for: Any) -> None:
    settings.DERMREVIEW_WORKER_CONFIG = WorkerConfig(model="org/real-model", model_revision="abc")
    page = client_for(alice).get(reverse("cases:list")).content.decode()
    assert 'id="test-model-banner"' not in page


def test_a_demo_draft_says_it_came_from_the_demo_model(
    clinic: Any, alice: Any, bob: Any, client_for: Any,
) -> None:
    image = LesionImageFactory(case=CaseFactory(organisation=clinic, created_by=alice))
    Draft.objects.create(
        image=image, status=DraftStatus.READY, model_id=DEMO_MODEL_ID, model_revision="demo-abc123",
        prompt_version="unsloth@1+abcdef/schema", backend="transformers", lesion_type="melanocytic naevus",
        color="light brown", symmetry="symmetric", borders="regular", texture="smooth", summary="A naevus.",
    )
    page = client_for(bob).get(reverse("cases:detail", args=[image.case_id])).content.decode()
    assert "Written by the <strong>demo model</strong>, trained on synthetic drawings" in page
    assert "tiny random" not in page
