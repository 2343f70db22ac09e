"""Read-only views that pages, the API and exports share: the diagnosis vocabulary, and photo numbers.

`image_positions` numbers a case's photos ("Photo 1" is the oldest) the one way every page, message and the API
name them.

`lesion_class_mapping` says which class of a clinic's vocabulary an AI draft's lesion type names. The model card's
lesion type is a clinical classification ("Superficial spreading melanoma", "naevus", "basal cell carcinoma"): an
AI suggestion for a reviewer, never a diagnosis. Showing the class it maps to tells the reviewer which class a
signature taking that text would record (the sign-off matches the same way, `review.services.rules`), and whether
the case needs a second reviewer for it. The high-risk rule for AI text is defined here, once: a high-risk class,
or no class at all (high-risk until a reviewer picks one); `review.services.rules.is_high_risk` asks this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from dermreview.cases.models import DiagnosisClass, LesionImage, Vocabulary

NO_CLASS_LABEL = "no matching class (treated as high-risk)"
AI_SUGGESTION_LABEL = "AI suggestion, not a diagnosis"


@dataclass(frozen=True, slots=True)
class LesionClassMapping:
    """An AI lesion type and the vocabulary class it names (`code` empty when it names none)."""

    text: str
    code: str
    name: str
    high_risk: bool

    @property
    def matched(self) -> bool:
        return bool(self.code)

    @property
    def label(self) -> str:
        """One line for a page or an export: "Melanoma (high-risk)", "Naevus", or that no class matched."""
        if not self.matched:
            return NO_CLASS_LABEL
        return f"{self.name} (high-risk)" if self.high_risk else self.name


def lesion_class_mapping(text: str, *, vocabulary: Vocabulary) -> LesionClassMapping:
    """The class `text` names in `vocabulary` (`Vocabulary.match`); pure, so a page builds the vocabulary once."""
    found: DiagnosisClass | None = vocabulary.match(text or "")
    if found is None:
        return LesionClassMapping(text=text, code="", name="", high_risk=True)
    return LesionClassMapping(text=text, code=found.code, name=found.name, high_risk=found.high_risk)


def lesion_class_mappings(texts: list[str], *, organisation_id: int | None) -> list[LesionClassMapping]:
    """`lesion_class_mapping` of each text, with the shared classes and the organisation's own (one query)."""
    if not texts:
        return []
    vocabulary = DiagnosisClass.objects.vocabulary(organisation_id)
    return [lesion_class_mapping(text, vocabulary=vocabulary) for text in texts]


def diagnosis_classes_data(*, organisation_id: int | None = None) -> list[dict[str, Any]]:
    """The active classes a clinic's findings are matched against (shared, then the clinic's own), as plain data.

    The shape `python -m inference_worker.evaluate --classes FILE` reads, so an offline evaluation scores lesion
    classes with the clinic's own vocabulary and high-risk flags rather than the built-in shared copy.
    """
    rows = (DiagnosisClass.objects.for_organisation(organisation_id).filter(active=True)
            .order_by(F("organisation").asc(nulls_first=True), "ordering", "name"))
    return [
        {"code": row.code, "name": row.name, "high_risk": row.high_risk, "synonyms": list(row.synonyms or []),
         "abbreviations": list(row.abbreviations or [])}
        for row in rows
    ]


def image_positions(images: Iterable[LesionImage]) -> dict[int, int]:
    """Photo number by image id: the place of each photo on its case, from 1, oldest first (the model's ordering,
    upload time then id). `images` must be all of one case's photos; pages, drafts, messages and the API use it."""
    ordered = sorted(images, key=lambda image: (image.created_at, image.pk))
    return {image.pk: n for n, image in enumerate(ordered, start=1)}


def image_position(image: LesionImage) -> int:
    """One photo's number on its case (one query); for messages about a single photo."""
    return image_positions(LesionImage.objects.filter(case_id=image.case_id).only("pk", "created_at")).get(image.pk, 0)
