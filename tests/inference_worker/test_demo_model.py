"""The demo model: its synthetic photos and labels, and its cached build (a miniature recipe keeps it fast)."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from inference_worker.testing.demo_model import (
    DEFAULT_RECIPE,
    DEMO_COLOURS,
    DEMO_TEXTURES,
    DemoFeatures,
    DemoRecipe,
    demo_model_dir,
    draw_demo_photos,
    is_demo_model,
    sample_features,
)

# Small enough to train in seconds: 12 photos of 64x64 (4 visual tokens), one epoch.
MINI_RECIPE = replace(DEFAULT_RECIPE, train_photos=12, photo_size=64, epochs=1, batch_size=4, text_layers=1,
                      vision_depth=1)


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (DemoFeatures("dark brown", symmetric=False, regular=False, texture="warty"), "melanoma"),
        (DemoFeatures("pink", symmetric=False, regular=True, texture="scaly"), "dysplastic naevus"),
        (DemoFeatures("black", symmetric=True, regular=False, texture="shiny"), "actinic keratosis"),
        (DemoFeatures("red", symmetric=True, regular=True, texture="smooth"), "haemangioma"),
        (DemoFeatures("blue-grey", symmetric=True, regular=True, texture="scaly"), "blue naevus"),
        (DemoFeatures("light brown", symmetric=True, regular=True, texture="smooth"), "melanocytic naevus"),
    ],
)
def test_lesion_class_follows_from_the_features(features: DemoFeatures, expected: str) -> None:
    labels = features.labels()
    assert labels["lesion_type"] == expected
    assert labels["summary"].endswith(f"in keeping with {expected}.")
    assert (labels["symmetry"], labels["borders"]) == (
        "symmetric" if features.symmetric else "asymmetric", "regular" if features.regular else "irregular"
    )


def test_features_are_drawn_independently() -> None:
    """Every combination turns up, about as often as chance says: no field can be guessed from another."""
    rng = random.Random(3)
    samples = [sample_features(rng) for _ in range(9600)]
    combinations = Counter((f.colour, f.symmetric, f.regular, f.texture) for f in samples)
    expected = len(samples) / (len(DEMO_COLOURS) * 2 * 2 * len(DEMO_TEXTURES))  # 100 each
    assert len(combinations) == len(DEMO_COLOURS) * 2 * 2 * len(DEMO_TEXTURES)
    assert all(0.6 * expected < count < 1.4 * expected for count in combinations.values())


def test_photos_are_the_same_for_a_seed_and_differ_between_seeds(tmp_path: Path) -> None:
    first = draw_demo_photos(tmp_path / "a", count=3, seed=5, size=64)
    again = draw_demo_photos(tmp_path / "b", count=3, seed=5, size=64)
    other = draw_demo_photos(tmp_path / "c", count=3, seed=6, size=64)
    assert first.read_text(encoding="utf-8") == again.read_text(encoding="utf-8")
    assert first.read_text(encoding="utf-8") != other.read_text(encoding="utf-8")
    assert (tmp_path / "a" / "lesion-0000.png").read_bytes() == (tmp_path / "b" / "lesion-0000.png").read_bytes()
    assert (tmp_path / "a" / "lesion-0000.png").read_bytes() != (tmp_path / "c" / "lesion-0000.png").read_bytes()
    rows = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    assert [row["image"] for row in rows] == ["lesion-0000.png", "lesion-0001.png", "lesion-0002.png"]
    assert all(row["split"] == "train" and row["texture"] in DEMO_TEXTURES for row in rows)


def test_the_cache_directory_is_named_by_the_recipe(tmp_path: Path) -> None:
    assert demo_model_dir(tmp_path, DEFAULT_RECIPE) == demo_model_dir(tmp_path, DemoRecipe())
    assert demo_model_dir(tmp_path, DEFAULT_RECIPE) != demo_model_dir(tmp_path, replace(DEFAULT_RECIPE, epochs=3))
    assert demo_model_dir(tmp_path).parent == tmp_path / "models"


@pytest.fixture(scope="module")
def mini_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    from inference_worker.testing.demo_model import build_demo_model

    return build_demo_model(tmp_path_factory.mktemp("var"), MINI_RECIPE, progress=False)


def test_demo_model_is_built_once_and_cached(mini_demo: Path) -> None:
    from inference_worker.testing.demo_model import build_demo_model

    assert is_demo_model(mini_demo, MINI_RECIPE) and not is_demo_model(mini_demo, DEFAULT_RECIPE)
    marker = mini_demo / "dermreview_tiny_model.json"
    written = marker.stat().st_mtime_ns
    assert build_demo_model(mini_demo.parent.parent, MINI_RECIPE) == mini_demo
    assert marker.stat().st_mtime_ns == written  # not trained again
    assert sorted(p.name for p in mini_demo.parent.iterdir() if p.name.startswith(".") and p.is_dir()) == []
    card = json.loads((mini_demo / "training_card.json").read_text(encoding="utf-8"))
    assert card["data"]["trained_on"] == MINI_RECIPE.train_photos and card["method"] == "full"
    assert "not the real model" in card["note"]
    assert not (mini_demo / "checkpoints").exists() and not (mini_demo / "photos").exists()


def test_demo_model_is_identified_as_a_test_model_and_drafts(mini_demo: Path) -> None:
    from PIL import Image

    from inference_worker.engines.transformers_engine import TransformersEngine
    from inference_worker.identity import model_identity
    from inference_worker.testing.demo_model import demo_worker_config
    from inference_worker.types import ImageInput

    cfg = demo_worker_config(mini_demo, MINI_RECIPE, max_new_tokens=200)
    identity = model_identity(cfg)
    assert identity.is_test_model  # never recorded as the real fine-tune, nor as the random tiny model
    assert identity.model_id == "demo-qwen3vl (synthetic demo model)"
    assert identity.model_revision == f"demo-{MINI_RECIPE.key()}"
    labels = draw_demo_photos(mini_demo.parent / "held-out", count=2, seed=99, size=MINI_RECIPE.photo_size)
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    images = [Image.open(labels.parent / row["image"]).convert("RGB") for row in rows]
    engine = TransformersEngine.load(cfg)
    drafts = engine.generate([ImageInput(key=row["image"], image=image) for row, image in zip(rows, images, strict=True)])
    # Schema decoding holds even this barely trained model to the profile's JSON; how often the full-size demo
    # model's drafts parse and match is measured by bench/demo_model.py.
    assert all(draft.raw_text.startswith("{") for draft in drafts), [draft.raw_text for draft in drafts]


def test_every_demo_class_is_a_class_of_the_review_vocabulary() -> None:
    from itertools import product

    from inference_worker.evaluation.lesion_classes import builtin_vocabulary

    vocabulary = builtin_vocabulary()
    names = {DemoFeatures(c, s, r, t).lesion_class for c, s, r, t in product(DEMO_COLOURS, (True, False),
                                                                              (True, False), DEMO_TEXTURES)}
    assert len(names) == 6
    for name in names:
        matched = vocabulary.match(name)
        assert matched is not None and matched.name.casefold() == name, name
