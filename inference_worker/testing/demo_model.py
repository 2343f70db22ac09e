"""The demo model: a small Qwen3-VL trained on synthetic lesion photos, so `make run` drafts something real.

The random tiny model (`build_tiny_model`) keeps the tests fast, but its drafts are noise. This module trains a
small-but-trainable Qwen3-VL (the real classes, the tiny model's tokenizer and chat template, a wider text model
and vision tower) with the production fine-tuning code (`inference_worker.training`) on synthetic photos, so
that its drafts describe what is in the photo. It is a demonstration, not the real model: it has seen nothing but
drawings, and knows nothing but the few words below.

The photos come from `inference_worker.testing.synthetic_lesions` (Helper D's drawing code), with their features
drawn here independently of each other, so that no field can be guessed from another and each must be read off
the photo:

* colour: one of `DEMO_COLOURS`;
* symmetry: ``symmetric`` or ``asymmetric`` (an ellipse of one shade, or a shape with uneven lobes and
  off-centre patches of a second shade);
* borders: ``regular`` or ``irregular`` (fine jaggedness on the outline, and a pale, frayed rim);
* texture: ``smooth``, ``scaly``, ``warty`` or ``shiny`` (flecks, plugs or a shine on the surface).

The lesion class follows from symmetry, borders and colour by one rule (`DemoFeatures.lesion_class`), and the
summary is a sentence built from all five fields. The cues for symmetry and borders are drawn in shades, not
only in outline: a small vision transformer trained from scratch for a few minutes learns where colours are,
long before it learns fine shapes, and the cues were chosen so that it can learn them in that time (measured by
``bench/demo_model.py``). Texture, drawn as fine flecks, is beyond it in that time; it is still drawn, labelled
and independent, and the class does not depend on it. Skin tones are limited to the lighter ones: on the darker
tones of the drawing code a brown lesion is hardly darker than the skin.

The result is cached in ``var/models/demo-<recipe hash>/`` and rebuilt only when the recipe (or this code's
`DEMO_VERSION`) changes. Training is seeded: the same recipe gives the same weights on the same machine.

Usage: ``python -m inference_worker.testing.demo_model [--var-dir var]`` prints the model directory.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import itertools
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from inference_worker.config import WorkerConfig
from inference_worker.identity import DEMO_MODEL_VARIANT, TINY_MODEL_MARKER_FILE, TINY_MODEL_MARKER_KIND

# Bump when the drawing, the labels or the builder change in a way the recipe does not capture.
DEMO_VERSION = 1
# The marker identifies the directory as a test model (`inference_worker.identity.is_tiny_model`); the variant
# tells the demo model apart from the random one, and gives it its own identity (`DEMO_MODEL_ID`).
DEMO_VARIANT = DEMO_MODEL_VARIANT
DEMO_BANNER = (
    "Demo model: a small model trained on synthetic drawings of lesions, not the real model. "
    "Its drafts mean nothing for real photos."
)
DEMO_COLOURS = ("light brown", "dark brown", "black", "blue-grey", "red", "pink")
DEMO_SKIN_TONES = ("very light", "light", "medium")
# An asymmetric lesion is asymmetric in colour as well as in shape (as the ABCD rule assesses it): patches of a
# second shade scattered off centre. The colour field names the predominant colour.
SECOND_SHADE = {"light brown": "dark brown", "dark brown": "black", "black": "dark brown", "blue-grey": "black",
                "red": "purple", "pink": "red"}
# The irregular border's rim: pixels this far from the skin tone in some channel are lesion (the skin's own
# blotches stay within 12); the rim is 4 pixels wide per erosion step, lightened towards this grey.
_LESION_THRESHOLD = 20
_RIM_STEPS = 2
_RIM_GREY = (206, 206, 212)
# Lesion radius as a share of the photo's side: large enough that the lesion, not the skin, fills most tokens.
DEMO_RADIUS = (0.28, 0.36)
DEMO_TEXTURES = ("smooth", "scaly", "warty", "shiny")
LABELS_FILE = "labels.jsonl"
_DEMO_VOCABULARY = 1024  # an upper bound: the corpus is small, so fewer merges are found


@dataclass(frozen=True, slots=True)
class DemoRecipe:
    """Everything the demo model's weights depend on; its hash names the cache directory."""

    train_photos: int = 1200
    train_seed: int = 1
    # 16 visual tokens (128x128): every cue the demo draws is large enough to survive, and a training step is
    # cheap enough for the ~1,200 steps the small model needs within a few minutes on two CPU cores.
    photo_size: int = 128
    text_hidden: int = 128
    text_layers: int = 2
    vision_hidden: int = 64
    vision_depth: int = 2
    model_seed: int = 1234
    epochs: int = 8
    batch_size: int = 8
    learning_rate: float = 3e-3
    # The Unsloth profile's instruction is about 40 tokens, the card profile's over 200: training and drafting
    # with it are several times faster, and it is how the real fine-tune was trained.
    profile: str = "unsloth"

    def key(self) -> str:
        """12 hex characters of the hash of the recipe, `DEMO_VERSION` and the prompt profile's version.

        The profile's version covers its text: a demo model trained on another instruction is another model.
        """
        from inference_worker.profile import load_profile

        prompt_version = load_profile(self.profile).prompt_version
        text = json.dumps([DEMO_VERSION, prompt_version, dataclasses.asdict(self)], sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    @property
    def pixels(self) -> int:
        return self.photo_size * self.photo_size


DEFAULT_RECIPE = DemoRecipe()


# -- the photos ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoFeatures:
    """What one photo shows; each feature is drawn independently of the others."""

    colour: str
    symmetric: bool
    regular: bool
    texture: str

    @property
    def lesion_class(self) -> str:
        """The class the features point to: shape and border first, then colour for a symmetric, regular lesion."""
        if not self.symmetric:
            return "melanoma" if not self.regular else "dysplastic naevus"
        if not self.regular:
            return "actinic keratosis"
        return {"red": "haemangioma", "pink": "haemangioma", "blue-grey": "blue naevus"}.get(
            self.colour, "melanocytic naevus")

    def labels(self) -> dict[str, str]:
        """The six fields of a photo with these features, in canonical wording."""
        symmetry = "symmetric" if self.symmetric else "asymmetric"
        borders = "regular" if self.regular else "irregular"
        kind = self.lesion_class
        summary = (f"A {self.colour}, {symmetry} lesion with {borders} borders and a {self.texture} surface, "
                   f"in keeping with {kind}.")
        return {"lesion_type": kind, "color": self.colour, "symmetry": symmetry, "borders": borders,
                "texture": self.texture, "summary": summary}


def sample_features(rng: random.Random) -> DemoFeatures:
    """One photo's features, each drawn on its own: none can be guessed from another."""
    return DemoFeatures(colour=rng.choice(DEMO_COLOURS), symmetric=rng.random() < 0.5, regular=rng.random() < 0.5,
                        texture=rng.choice(DEMO_TEXTURES))


def draw_demo_photos(out: Path, *, count: int, seed: int, size: int, split: str = "train") -> Path:
    """Draw ``count`` photos into ``out`` with ``labels.jsonl`` (the training export's format); its path."""
    from inference_worker.testing import synthetic_lesions as drawing

    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        features = sample_features(rng)
        labels = features.labels()
        kind = drawing.LesionType(labels["lesion_type"], ((features.colour,),), symmetric=features.symmetric,
                                  regular_border=features.regular, texture=features.texture,
                                  borders=labels["borders"], texture_words=features.texture)
        shades = (features.colour,) if features.symmetric else (features.colour, SECOND_SHADE[features.colour])
        spec = drawing.LesionSpec(
            index=index, lesion_type=kind, skin_tone=rng.choice(DEMO_SKIN_TONES), colours=shades,
            size=size, radius=size * rng.uniform(*DEMO_RADIUS), aspect=rng.uniform(0.75, 1.0),
            rotation=rng.uniform(0, math.pi), seed=rng.randrange(2**31),
        )
        photo = drawing.draw_lesion(spec)
        if not features.regular:
            photo = _fray_border(photo, drawing.SKIN_TONES[spec.skin_tone])
        photo.save(out / spec.image_name, format="PNG")
        rows.append({"image": spec.image_name, **labels, "skin_tone": spec.skin_tone, "split": split})
    labels_path = out / LABELS_FILE
    labels_path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return labels_path


def _fray_border(photo: Image.Image, skin: tuple[int, int, int]) -> Image.Image:
    """A pale, frayed rim along the edge, where the pigment of an irregular lesion thins out into the skin.

    The lesion is what the skin around it cannot reach: pixels far from the skin tone, with the pale flecks and
    highlights inside it filled in by flooding the skin from a corner. The rim is its outer band, lightened
    towards grey.
    """
    channels = ImageChops.difference(photo, Image.new("RGB", photo.size, skin)).split()
    difference = ImageChops.lighter(ImageChops.lighter(channels[0], channels[1]), channels[2])
    outside = difference.point(lambda value: 0 if value > _LESION_THRESHOLD else 255)
    ImageDraw.floodfill(outside, (0, 0), 128)
    lesion = outside.point(lambda value: 0 if value == 128 else 255)
    # Eroded at half size: a wide band for a fraction of the cost.
    inner = lesion.resize((photo.width // 2, photo.height // 2), Image.Resampling.NEAREST)
    for _ in range(_RIM_STEPS):
        inner = inner.filter(ImageFilter.MinFilter(5))
    rim = ImageChops.subtract(lesion, inner.resize(photo.size, Image.Resampling.NEAREST))
    pale = Image.blend(photo, Image.new("RGB", photo.size, _RIM_GREY), 0.7)
    return Image.composite(pale, photo, rim.filter(ImageFilter.GaussianBlur(2.0)))


# -- the base model --------------------------------------------------------------------------------------------


def demo_tokenizer(profile: str) -> Any:
    """The tiny model's tokenizer with its BPE merges learnt again from what the demo model reads and writes.

    The tiny tokenizer knows few words, so the card profile's instruction alone would cost over 550 tokens per
    example; learnt from the profiles' instructions and the demo's replies, whole words become single tokens and
    training runs about twice as fast. Same class, pre-tokeniser, byte alphabet and special tokens.
    """
    from inference_worker.profile import available_profiles, load_profile
    from inference_worker.testing.build_tiny_model import build_tokenizer
    from inference_worker.training.dataset import reply_text

    profiles = [load_profile(name) for name in (*available_profiles(), profile)]
    lines = [each.instruction for each in profiles]
    for colour, symmetric, regular, texture in itertools.product(DEMO_COLOURS, (True, False), (True, False),
                                                                 DEMO_TEXTURES):
        labels = DemoFeatures(colour, symmetric, regular, texture).labels()
        lines.extend(reply_text(labels, each) for each in profiles)
    return build_tokenizer().train_new_from_iterator(lines, vocab_size=_DEMO_VOCABULARY)


def demo_config(tokenizer: Any, recipe: DemoRecipe) -> Any:
    """The tiny model's config, widened so that it can learn: the same structure (deepstack, M-RoPE)."""
    from inference_worker.testing.build_tiny_model import tiny_config

    config = tiny_config(tokenizer)
    text, vision = config.text_config, config.vision_config
    head_dim = text.head_dim  # kept: the M-RoPE sections are sized for it
    text.hidden_size, text.intermediate_size = recipe.text_hidden, 2 * recipe.text_hidden
    text.num_hidden_layers, text.num_attention_heads = recipe.text_layers, recipe.text_hidden // head_dim
    text.num_key_value_heads = text.num_attention_heads // 2
    text.layer_types = ["full_attention"] * recipe.text_layers
    vision.hidden_size, vision.intermediate_size = recipe.vision_hidden, 2 * recipe.vision_hidden
    vision.depth, vision.num_heads = recipe.vision_depth, max(1, recipe.vision_hidden // 32)
    vision.out_hidden_size = recipe.text_hidden
    vision.deepstack_visual_indexes = list(range(min(recipe.vision_depth, recipe.text_layers)))
    return config


def build_base_model(directory: Path, recipe: DemoRecipe) -> Path:
    """A randomly initialised demo-sized Qwen3-VL with the tiny model's tokenizer, saved into ``directory``."""
    import torch
    from transformers import GenerationConfig, Qwen3VLForConditionalGeneration

    from inference_worker.testing.build_tiny_model import build_processor

    processor = build_processor(demo_tokenizer(recipe.profile))
    config = demo_config(processor.tokenizer, recipe)
    torch.manual_seed(recipe.model_seed)
    model = Qwen3VLForConditionalGeneration(config)
    text = config.text_config
    model.generation_config = GenerationConfig(
        bos_token_id=text.bos_token_id, eos_token_id=[text.eos_token_id, text.pad_token_id],
        pad_token_id=text.pad_token_id, do_sample=False,
    )
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory


def demo_worker_config(model: str | Path, recipe: DemoRecipe = DEFAULT_RECIPE, **overrides: Any) -> WorkerConfig:
    """The worker configuration the demo model is trained and served with: CPU, its pixel budget, its profile."""
    settings: dict[str, Any] = {"model": str(model), "device": "cpu", "min_pixels": recipe.pixels,
                                "max_pixels": recipe.pixels, "prompt_profile": recipe.profile, **overrides}
    return WorkerConfig(**settings)


def demo_worker_env(model: Path, recipe: DemoRecipe = DEFAULT_RECIPE) -> dict[str, str]:
    """The ``DERMREVIEW_*`` variables that serve the demo model as it was trained (for the dev server)."""
    return {"DERMREVIEW_MODEL": str(model), "DERMREVIEW_MIN_PIXELS": str(recipe.pixels),
            "DERMREVIEW_MAX_PIXELS": str(recipe.pixels), "DERMREVIEW_PROMPT": recipe.profile}


# -- training and the cache ------------------------------------------------------------------------------------


def demo_model_dir(var_dir: Path, recipe: DemoRecipe = DEFAULT_RECIPE) -> Path:
    """Where the demo model of ``recipe`` is cached under ``var_dir``."""
    return var_dir / "models" / f"demo-{recipe.key()}"


def is_demo_model(path: str | Path, recipe: DemoRecipe | None = None) -> bool:
    """True when ``path`` holds a finished demo model (of ``recipe``, when given)."""
    try:
        data = json.loads((Path(path) / TINY_MODEL_MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("variant") != DEMO_VARIANT:
        return False
    return recipe is None or data.get("recipe") == recipe.key()


def build_demo_model(
    var_dir: Path, recipe: DemoRecipe = DEFAULT_RECIPE, *, progress: bool = True
) -> Path:
    """The demo model of ``recipe`` under ``var_dir``, trained first if it is not cached yet.

    Builders take turns on a lock file, so a second `make run` waits for the first instead of training again;
    the model is trained in a staging directory and renamed into place, so a reader never sees half of it.
    """
    target = demo_model_dir(var_dir, recipe)
    if is_demo_model(target, recipe):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.parent / f".{target.name}.lock"):
        if is_demo_model(target, recipe):
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        try:
            _train_into(staging, recipe, progress=progress)
            if target.exists():  # a half-built directory left by a crash before the rename
                shutil.rmtree(target)
            staging.chmod(0o755)  # mkdtemp's 0700 would hide the model from a worker running as another user
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _train_into(staging: Path, recipe: DemoRecipe, *, progress: bool) -> None:
    from inference_worker.training.dataset import read_records
    from inference_worker.training.loop import TrainOptions, fine_tune

    started = time.perf_counter()
    photos, base, out = staging / "photos", staging / "base", staging / "model"
    labels = draw_demo_photos(photos, count=recipe.train_photos, seed=recipe.train_seed, size=recipe.photo_size)
    build_base_model(base, recipe)
    options = TrainOptions(epochs=recipe.epochs, batch_size=recipe.batch_size, learning_rate=recipe.learning_rate,
                           warmup_ratio=0.05, seed=recipe.model_seed, checkpoint_every=10**6)
    records = read_records(labels, photos)
    fine_tune(records, cfg=demo_worker_config(base, recipe), out=out, options=options, progress=progress,
              note=DEMO_BANNER, base_label=f"randomly initialised demo-size Qwen3-VL (recipe {recipe.key()})")
    marker = {"kind": TINY_MODEL_MARKER_KIND, "variant": DEMO_VARIANT, "recipe": recipe.key(),
              "demo_version": DEMO_VERSION, "seconds": round(time.perf_counter() - started, 1), "note": DEMO_BANNER}
    for item in out.iterdir():
        item.rename(staging / item.name)
    for scratch in (photos, base, out):
        shutil.rmtree(scratch)
    # Written last: its presence means the directory is complete.
    (staging / TINY_MODEL_MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var-dir", type=Path, default=Path("var"), help="the cache is VAR_DIR/models/demo-*")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    print(build_demo_model(args.var_dir, progress=not args.no_progress))
    return 0


if __name__ == "__main__":
    sys.exit(main())
