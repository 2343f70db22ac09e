"""The demo model that `make run` serves reaches the figures the issue asks of it, and `make run` serves it.

Trains the full demo recipe once (about 3-4 minutes on two cores), exactly as a first `make run` does, then drafts
a held-out synthetic set drawn with another seed through the evaluation harness: exact match >= 0.8 for colour,
>= 0.75 for symmetry and borders, >= 0.7 for the lesion class, every draft parseable. The same figures are printed
by `bench/demo_model.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Training takes 3-4 minutes on two idle cores; far longer on a machine shared with other work.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

HELD_OUT_PHOTOS = 80


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    from inference_worker.testing.demo_model import build_demo_model

    var = tmp_path_factory.mktemp("var")
    build_demo_model(var, progress=False)
    return var


def test_demo_model_reads_held_out_synthetic_photos(demo_var: Path) -> None:
    from inference_worker.testing.demo_figures import measure_demo_model
    from inference_worker.testing.demo_model import DEFAULT_RECIPE, demo_model_dir

    figures = measure_demo_model(demo_model_dir(demo_var), photos=HELD_OUT_PHOTOS,
                                 seed=DEFAULT_RECIPE.train_seed + 1000)
    assert figures["parse_rate"] == 1.0, figures
    assert figures["exact_color"] >= 0.8, figures
    assert figures["exact_symmetry"] >= 0.75, figures
    assert figures["exact_borders"] >= 0.75, figures
    assert figures["exact_lesion_type"] >= 0.7, figures


def test_make_run_serves_the_demo_model_when_no_model_is_configured(
    demo_var: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from dermreview import devserver
    from inference_worker.identity import DEMO_MODEL_ID, model_identity
    from inference_worker.testing.demo_model import DEFAULT_RECIPE, demo_model_dir

    monkeypatch.setattr(devserver, "VAR", demo_var)
    monkeypatch.delenv("DERMREVIEW_DEV_MODEL", raising=False)
    env = {"DERMREVIEW_MAX_PIXELS": "4096"}  # an operator's own setting is kept
    devserver._ensure_model(env)
    assert env["DERMREVIEW_MODEL"] == str(demo_model_dir(demo_var))
    assert env["DERMREVIEW_PROMPT"] == DEFAULT_RECIPE.profile
    assert env["DERMREVIEW_MIN_PIXELS"] == str(DEFAULT_RECIPE.pixels) and env["DERMREVIEW_MAX_PIXELS"] == "4096"
    out = capsys.readouterr().out
    assert "DEMO MODEL" in out and "synthetic drawings" in out and "First run" not in out  # already cached

    from inference_worker.testing.demo_model import demo_worker_config

    assert model_identity(demo_worker_config(env["DERMREVIEW_MODEL"])).model_id == DEMO_MODEL_ID


def test_a_configured_model_is_never_replaced_by_the_demo(tmp_path: Path) -> None:
    from dermreview import devserver

    env = {"DERMREVIEW_MODEL": "org/real-model"}
    devserver._ensure_model(env)
    assert env == {"DERMREVIEW_MODEL": "org/real-model"}
