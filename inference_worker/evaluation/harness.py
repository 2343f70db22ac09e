"""Draft every labelled photo and score each draft against its labels: the work behind the evaluation report.

Drafting goes through the production engine (`get_engine(cfg).generate`), batch by batch, so the figures are
those of what the worker would store. Scoring uses the agreement scorer of the review side
(`inference_worker.scoring.get_scorer`), with its fixed settings (no idf, no baseline rescaling): one batched
call for every field of every photo. A failed draft has no scores; it is counted by failure kind, and the
figures say over how many photos they were taken.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inference_worker.engines import Engine
from inference_worker.evaluation.card import CARD_BERTSCORE_F1, CardFigure
from inference_worker.evaluation.labels import LabelledPhoto
from inference_worker.evaluation.lesion_classes import LesionVocabulary
from inference_worker.evaluation.metrics import (
    ClassificationSummary,
    ClassInfo,
    Proportion,
    ScoreSummary,
    classification_summary,
    fold_for_exact_match,
    proportion,
    score_summary,
)
from inference_worker.evaluation.options import open_photo
from inference_worker.fields import FINDING_FIELDS
from inference_worker.types import DraftResult, ImageInput


@dataclass(frozen=True, slots=True)
class ScorerInfo:
    """Which scorer produced the BERTScores: different scorers are different scales."""

    model: str
    num_layers: int
    version: str
    idf: bool = False
    baseline_rescaling: bool = False

    def describe(self) -> str:
        return (f"BERTScore F1 with {self.model} ({self.num_layers} layers, bert-score {self.version}, "
                f"idf {'on' if self.idf else 'off'}, baseline rescaling {'on' if self.baseline_rescaling else 'off'})")


@dataclass(frozen=True, slots=True)
class PhotoOutcome:
    """One photo: its labels, the draft (raw text, finding or failure), its scores and lesion classes."""

    image: str
    line: int
    truth: dict[str, str]
    raw_text: str
    finding: dict[str, str] | None
    failure_kind: str | None
    failure_message: str
    scores: dict[str, float]
    exact: dict[str, bool]
    true_class: str | None
    predicted_class: str | None
    output_tokens: int
    generate_ms: float


@dataclass(frozen=True, slots=True)
class FieldResult:
    """One field over all scored photos, beside the card's figure."""

    field: str
    scores: ScoreSummary
    exact: Proportion
    card: CardFigure


@dataclass(frozen=True)
class Evaluation:
    """Everything a report shows. ``run`` describes the model and settings; ``seconds`` the time each stage took."""

    run: dict[str, Any]
    scorer: ScorerInfo
    outcomes: list[PhotoOutcome]
    fields: dict[str, FieldResult]
    failures: dict[str, int]
    classes: ClassificationSummary
    unmatched_labels: list[str] = field(default_factory=list)  # photos whose true lesion type names no class
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def drafted_ok(self) -> int:
        return sum(outcome.finding is not None for outcome in self.outcomes)


def draft_photos(
    engine: Engine, photos: Sequence[LabelledPhoto], *, batch_size: int, progress: bool = True
) -> list[DraftResult]:
    """One draft per photo, in order, ``batch_size`` photos per `generate` call, with a progress bar on stderr.

    The bar is tqdm's, installed with transformers; against a server (the OpenAI backend) without it, no bar.
    """
    try:
        from tqdm import tqdm
    except ImportError:
        progress = False
    drafts: list[DraftResult] = []
    bar = tqdm(total=len(photos), unit="photo", desc="drafting", file=sys.stderr) if progress else None
    for start in range(0, len(photos), batch_size):
        chunk = photos[start : start + batch_size]
        drafts.extend(engine.generate([ImageInput(key=p.image, image=open_photo(p.path)) for p in chunk]))
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return drafts


def score_drafts(
    photos: Sequence[LabelledPhoto], drafts: Sequence[DraftResult], scorer: Any
) -> list[dict[str, float]]:
    """Per photo, the BERTScore F1 of each field of its finding against the label ({} for a failed draft)."""
    candidates: list[str] = []
    references: list[str] = []
    for photo, draft in zip(photos, drafts, strict=True):
        if draft.finding is not None:
            candidates.extend(getattr(draft.finding, name) for name in FINDING_FIELDS)
            references.extend(photo.truth[name] for name in FINDING_FIELDS)
    f1 = iter(pair.f1 for pair in scorer.score_pairs(candidates, references)) if candidates else iter(())
    return [
        {name: next(f1) for name in FINDING_FIELDS} if draft.finding is not None else {}
        for draft in drafts
    ]


def _outcome(
    photo: LabelledPhoto, draft: DraftResult, scores: dict[str, float], vocabulary: LesionVocabulary
) -> PhotoOutcome:
    finding = draft.finding.model_dump() if draft.finding is not None else None
    true_class = vocabulary.match(photo.truth["lesion_type"])
    predicted = vocabulary.match(finding["lesion_type"]) if finding is not None else None
    exact = {
        name: fold_for_exact_match(finding[name]) == fold_for_exact_match(photo.truth[name]) for name in FINDING_FIELDS
    } if finding is not None else {}
    return PhotoOutcome(
        image=photo.image, line=photo.line, truth=dict(photo.truth), raw_text=draft.raw_text, finding=finding,
        failure_kind=str(draft.failure_kind) if draft.failure_kind is not None else None,
        failure_message=draft.failure_message, scores=scores, exact=exact,
        true_class=true_class.code if true_class else None, predicted_class=predicted.code if predicted else None,
        output_tokens=draft.output_tokens, generate_ms=draft.generate_ms,
    )


def summarise(
    outcomes: list[PhotoOutcome], *, vocabulary: LesionVocabulary, scorer: ScorerInfo, run: dict[str, Any]
) -> Evaluation:
    """The report's figures from the per-photo outcomes."""
    scored = [outcome for outcome in outcomes if outcome.finding is not None]
    fields = {
        name: FieldResult(
            field=name,
            scores=score_summary([outcome.scores[name] for outcome in scored]),
            exact=proportion(sum(outcome.exact[name] for outcome in scored), len(scored)),
            card=CARD_BERTSCORE_F1[name],
        )
        for name in FINDING_FIELDS
    }
    failures = Counter(outcome.failure_kind for outcome in outcomes if outcome.failure_kind is not None)
    pairs = [(o.true_class, o.predicted_class) for o in scored if o.true_class is not None]
    infos = [ClassInfo(row.code, row.name, row.high_risk) for row in vocabulary.classes]
    return Evaluation(
        run=run, scorer=scorer, outcomes=outcomes, fields=fields, failures=dict(sorted(failures.items())),
        classes=classification_summary(pairs, infos),
        unmatched_labels=[o.image for o in outcomes if o.true_class is None],
    )


def evaluate(
    engine: Engine,
    photos: Sequence[LabelledPhoto],
    *,
    scorer: Any,
    scorer_info: ScorerInfo,
    vocabulary: LesionVocabulary,
    batch_size: int,
    progress: bool = True,
) -> Evaluation:
    """Draft, score and summarise every photo. ``scorer`` has `score_pairs` (an `AgreementScorer`)."""
    started = time.perf_counter()
    drafts = draft_photos(engine, photos, batch_size=batch_size, progress=progress)
    drafted = time.perf_counter()
    scores = score_drafts(photos, drafts, scorer)
    scored = time.perf_counter()
    outcomes = [_outcome(p, d, s, vocabulary) for p, d, s in zip(photos, drafts, scores, strict=True)]
    identity = engine.identity
    run = {
        "model_id": identity.model_id, "model_revision": identity.model_revision,
        "resolved_revision": drafts[0].resolved_revision if drafts else "",
        "prompt_version": identity.prompt_version, "backend": identity.backend,
        "is_test_model": identity.is_test_model, "batch_size": batch_size, "photos": len(photos),
    }
    evaluation = summarise(outcomes, vocabulary=vocabulary, scorer=scorer_info, run=run)
    evaluation.seconds.update(drafting=drafted - started, scoring=scored - drafted)
    return evaluation
