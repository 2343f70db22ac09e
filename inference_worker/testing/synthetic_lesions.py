"""Synthetic lesion photos with known features and their labels: a fixture for the evaluation harness.

Each photo is skin of one of several tones with one drawn lesion whose features are chosen, so its six labelled
fields are true by construction: colour(s), symmetric or not (an ellipse, or a shape with uneven lobes), a regular
or irregular border (fine jaggedness on the outline), a smooth, scaly, warty or shiny surface. Each lesion type
ties features together as a textbook would: asymmetric, many-coloured, irregular is melanoma; symmetric, uniform
brown, regular is a melanocytic naevus; pearly pink, shiny with fine vessels and scale is basal cell carcinoma;
stuck-on brown and warty is seborrhoeic keratosis. Lesion types are names of the review vocabulary, so the
lesion-class metrics see real classes. The summary comes from a template.

The photos are drawn with Pillow only and are the same for the same seed (the lesion types take turns, so a
small set still covers every type). They are not clinical photos: a real model is not expected to do well on
them; they give the harness, the benchmark and the tests known inputs of a known shape.

Usage: ``python -m inference_worker.testing.synthetic_lesions --out DIR --count N --seed S [--size PX]``
writes ``DIR/lesion-0000.png``, ... and ``DIR/labels.csv`` and ``DIR/labels.jsonl`` (image, the six fields, and
the skin tone, for analyses by tone).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from inference_worker.fields import FINDING_FIELDS

# Skin tones from very light to dark (roughly Fitzpatrick I to VI), as drawn and as the labels name them.
SKIN_TONES: dict[str, tuple[int, int, int]] = {
    "very light": (241, 214, 194),
    "light": (228, 188, 160),
    "medium": (200, 152, 116),
    "olive": (172, 128, 90),
    "brown": (128, 88, 60),
    "dark brown": (86, 57, 41),
}
COLOURS: dict[str, tuple[int, int, int]] = {
    "tan": (186, 136, 92),
    "light brown": (160, 106, 68),
    "dark brown": (88, 54, 36),
    "black": (34, 27, 27),
    "blue-grey": (92, 102, 124),
    "red": (176, 52, 58),
    "pink": (222, 148, 148),
    "pearly pink": (238, 196, 190),
    "purple": (112, 50, 92),
}
TEXTURES = ("smooth", "scaly", "warty", "shiny")


@dataclass(frozen=True, slots=True)
class LesionType:
    """A lesion type and the features that go with it; each photo picks one of ``colour_sets``."""

    name: str
    colour_sets: tuple[tuple[str, ...], ...]
    symmetric: bool
    regular_border: bool
    texture: str
    borders: str  # the label's wording
    texture_words: str


LESION_TYPES: tuple[LesionType, ...] = (
    LesionType("melanoma", (("dark brown", "black", "blue-grey"), ("light brown", "dark brown", "black", "red")),
               symmetric=False, regular_border=False, texture="smooth", borders="irregular, notched",
               texture_words="smooth"),
    LesionType("melanocytic naevus", (("light brown",), ("dark brown",), ("tan",)), symmetric=True,
               regular_border=True, texture="smooth", borders="regular, well-defined", texture_words="smooth"),
    LesionType("basal cell carcinoma", (("pearly pink",), ("pearly pink", "red")), symmetric=True,
               regular_border=True, texture="shiny", borders="regular, rolled",
               texture_words="shiny, with fine scale and thin vessels"),
    LesionType("seborrhoeic keratosis", (("light brown",), ("tan", "dark brown")), symmetric=True,
               regular_border=True, texture="warty", borders="regular, sharply demarcated, stuck-on",
               texture_words="rough, warty and scaly"),
    LesionType("haemangioma", (("red",), ("red", "purple")), symmetric=True, regular_border=True,
               texture="smooth", borders="regular, well-defined", texture_words="smooth"),
    LesionType("actinic keratosis", (("pink", "red"),), symmetric=False, regular_border=False, texture="scaly",
               borders="irregular, ill-defined", texture_words="rough and scaly"),
)


@dataclass(frozen=True, slots=True)
class LesionSpec:
    """Everything drawn for one photo: enough to draw it again and to write its labels."""

    index: int
    lesion_type: LesionType
    skin_tone: str
    colours: tuple[str, ...]
    size: int
    radius: float
    aspect: float
    rotation: float
    seed: int

    @property
    def image_name(self) -> str:
        return f"lesion-{self.index:04d}.png"

    def labels(self) -> dict[str, str]:
        """The six fields, true by construction."""
        kind = self.lesion_type
        colour = _join(self.colours)
        symmetry = "symmetric" if kind.symmetric else "asymmetric"
        millimetres = round(2 * self.radius / self.size * 40)  # the photo spans about 40 mm
        summary = (
            f"A {millimetres} mm {symmetry} lesion on {self.skin_tone} skin, {colour} in colour, with "
            f"{kind.borders} borders and a {kind.texture_words} surface. The features are in keeping with "
            f"{_article(kind.name)} {kind.name}; for a clinician to review."
        )
        values = (kind.name, colour, symmetry, kind.borders, kind.texture_words, summary)
        return dict(zip(FINDING_FIELDS, values, strict=True))


def _join(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def sample_spec(rng: random.Random, index: int, *, size: int) -> LesionSpec:
    """The features of photo ``index``: lesion types take turns, everything else is drawn from ``rng``."""
    kind = LESION_TYPES[index % len(LESION_TYPES)]
    return LesionSpec(
        index=index,
        lesion_type=kind,
        skin_tone=rng.choice(list(SKIN_TONES)),
        colours=rng.choice(kind.colour_sets),
        size=size,
        radius=size * rng.uniform(0.16, 0.28),
        aspect=rng.uniform(0.75, 1.0),
        rotation=rng.uniform(0, math.pi),
        seed=rng.randrange(2**31),
    )


def _outline(spec: LesionSpec, rng: random.Random) -> list[tuple[float, float]]:
    """The lesion's outline. Symmetric shapes use only even cosine terms (mirror-symmetric on both axes)."""
    kind = spec.lesion_type
    if kind.symmetric:
        lobes = [(2 * k, rng.uniform(0.0, 0.05), 0.0) for k in (1, 2)]
    else:
        lobes = [(k, rng.uniform(0.12, 0.22), rng.uniform(0, 2 * math.pi)) for k in (1, 2, 3)]
    if not kind.regular_border:
        lobes += [(k, rng.uniform(0.02, 0.05), rng.uniform(0, 2 * math.pi)) for k in range(7, 16)]
    centre = spec.size / 2
    points = []
    for step in range(180):
        theta = 2 * math.pi * step / 180
        r = spec.radius * (1 + sum(a * math.cos(k * theta + phase) for k, a, phase in lobes))
        x, y = r * math.cos(theta), r * math.sin(theta) * spec.aspect
        cos_r, sin_r = math.cos(spec.rotation), math.sin(spec.rotation)
        points.append((centre + x * cos_r - y * sin_r, centre + x * sin_r + y * cos_r))
    return points


def _skin(spec: LesionSpec, rng: random.Random) -> Image.Image:
    """Skin of the chosen tone, with gentle blotches of lighter and darker."""
    base = SKIN_TONES[spec.skin_tone]
    grid = Image.new("RGB", (8, 8))
    grid.putdata([tuple(max(0, min(255, c + shift)) for c in base)
                  for shift in (rng.randint(-12, 12) for _ in range(64))])
    return grid.resize((spec.size, spec.size), Image.Resampling.BICUBIC)


def _blot(draw: ImageDraw.ImageDraw, centre: tuple[float, float], radius: float, fill: tuple[int, ...]) -> None:
    x, y = centre
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)


def _pigment(spec: LesionSpec, rng: random.Random) -> Image.Image:
    """The lesion's colours: the first everywhere; others as a centre (symmetric) or as scattered blotches."""
    layer = Image.new("RGB", (spec.size, spec.size), COLOURS[spec.colours[0]])
    draw = ImageDraw.Draw(layer)
    centre = spec.size / 2
    for order, name in enumerate(spec.colours[1:], start=1):
        if spec.lesion_type.symmetric:
            _blot(draw, (centre, centre), spec.radius * (0.6 / order), COLOURS[name])
            continue
        for _ in range(3):
            angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.7) * spec.radius
            spot = (centre + distance * math.cos(angle), centre + distance * math.sin(angle))
            _blot(draw, spot, spec.radius * rng.uniform(0.2, 0.45), COLOURS[name])
    return layer.filter(ImageFilter.GaussianBlur(spec.radius * 0.08))


def _surface(spec: LesionSpec, rng: random.Random, lesion: Image.Image) -> Image.Image:
    """Texture drawn over the pigment: scale (pale flecks), warty plugs, or a shine with fine vessels."""
    texture = spec.lesion_type.texture
    if texture == "smooth":
        return lesion
    overlay = lesion.copy()
    draw = ImageDraw.Draw(overlay)
    centre, spread = spec.size / 2, spec.radius * 1.1
    flecks = {"scaly": 260, "warty": 140, "shiny": 60}[texture]
    for _ in range(flecks):
        x, y = centre + rng.uniform(-spread, spread), centre + rng.uniform(-spread, spread)
        light = rng.randint(200, 245)
        fill = (light, light - 8, light - 16) if texture != "warty" or rng.random() < 0.5 else (60, 40, 30)
        _blot(draw, (x, y), rng.uniform(0.8, 2.6 if texture == "warty" else 1.6), fill)
    if texture == "shiny":
        _blot(draw, (centre - spec.radius * 0.3, centre - spec.radius * 0.3), spec.radius * 0.3, (250, 236, 232))
        for _ in range(5):
            start = (centre + rng.uniform(-spread, spread) * 0.6, centre + rng.uniform(-spread, spread) * 0.6)
            end = (start[0] + rng.uniform(-40, 40), start[1] + rng.uniform(-40, 40))
            draw.line((start, end), fill=(196, 40, 52), width=2)
    return Image.blend(lesion, overlay, 0.7)


def draw_lesion(spec: LesionSpec) -> Image.Image:
    """The photo of ``spec``; the same spec always gives the same pixels."""
    rng = random.Random(spec.seed)
    mask = Image.new("L", (spec.size, spec.size), 0)
    ImageDraw.Draw(mask).polygon(_outline(spec, rng), fill=255)
    # A soft edge for a regular border reads as skin; an irregular one keeps its notches.
    mask = mask.filter(ImageFilter.GaussianBlur(2.5 if spec.lesion_type.regular_border else 1.0))
    lesion = _surface(spec, rng, _pigment(spec, rng))
    skin = _skin(spec, rng)
    photo = Image.composite(lesion, skin, mask)
    # A little of the skin's blotchiness shows through the lesion, as it does on a photo.
    photo = Image.composite(skin, photo, mask.point(lambda v: v // 16))
    return photo.filter(ImageFilter.GaussianBlur(0.6))


def write_fixture(out: Path, *, count: int, seed: int, size: int = 512) -> list[LesionSpec]:
    """Draw ``count`` photos into ``out`` with ``labels.csv`` and ``labels.jsonl``; the specs drawn."""
    if count < 1:
        raise ValueError("count must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    specs = [sample_spec(rng, index, size=size) for index in range(count)]
    rows = []
    for spec in specs:
        draw_lesion(spec).save(out / spec.image_name, format="PNG")
        rows.append({"image": spec.image_name, **spec.labels(), "skin_tone": spec.skin_tone})
    with (out / "labels.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with (out / "labels.jsonl").open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return specs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw synthetic lesion photos with known features and labels.")
    parser.add_argument("--out", type=Path, required=True, help="folder for the photos and labels")
    parser.add_argument("--count", type=int, default=16, help="photos to draw (default 16)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed draws the same photos (default 0)")
    parser.add_argument("--size", type=int, default=512, help="side of the square photos in pixels (default 512)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.size < 64:
        parser.error("--count must be at least 1 and --size at least 64")
    specs = write_fixture(args.out, count=args.count, seed=args.seed, size=args.size)
    print(f"wrote {len(specs)} photos with labels.csv and labels.jsonl to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
